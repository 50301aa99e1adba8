import CCodecShims

/// JPEG through libjpeg-turbo: gray → 1 channel, colour → RGB, Adobe CMYK/YCCK → CMYK with
/// the Adobe inversion undone; the EXIF Orientation is reported (and applied by
/// `ImageDecoder`).
enum JPEGReader {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>,
                       _ context: DecodeContext) throws -> Scan {
        guard let handle = es_jpeg_create() else {
            throw context.error(.outOfMemory, "cannot allocate the JPEG reader")
        }
        defer { es_jpeg_destroy(handle) }
        var info = es_image_info()
        let opened = es_jpeg_open(handle, bytes.baseAddress, bytes.count, &info)
        if opened != ES_OK {
            throw context.error(opened, es_jpeg_message(handle))
        }
        if context.options.page != 0 {
            throw context.error(.pageOutOfRange,
                                "page \(context.options.page) requested, a JPEG has 1 page")
        }
        let rowBytes = try context.checkSize(info)
        let samples = try context.samples(info, rowBytes: rowBytes,
                                          fill: { es_jpeg_read(handle, $0, rowBytes) },
                                          message: { es_jpeg_message(handle) })
        let colorModel: ColorModel
        switch info.photometric {
        case ES_PHOTO_MIN_IS_BLACK: colorModel = .minIsBlack
        case ES_PHOTO_CMYK: colorModel = .cmyk
        default: colorModel = .rgb
        }
        let metadata = ScanMetadata(format: .jpeg, colorModel: colorModel,
                                    bitsPerSample: Int(info.bits_in_file),
                                    pixelSizeMM: context.pixelSize(info),
                                    orientation: ExifOrientation.find(inJPEG: bytes))
        return Scan(width: Int(info.width), height: Int(info.height),
                    channels: Int(info.channels), samples: samples, metadata: metadata)
    }
}

/// Finds the Orientation tag (0x0112) of IFD0 in a JPEG's first EXIF APP1 segment.
enum ExifOrientation {
    /// The value 1…8, or nil when there is no EXIF block, no tag, or an out-of-range value.
    /// Walks the marker segments up to the first SOS; every read is bounds-checked.
    static func find(inJPEG bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 2  // after SOI
        let n = bytes.count
        while i + 4 <= n {
            guard bytes[i] == 0xFF else { return nil }
            var marker = bytes[i + 1]
            // Fill bytes: any number of 0xFF before the marker code.
            while marker == 0xFF, i + 2 < n {
                i += 1
                marker = bytes[i + 1]
            }
            if marker == 0xDA || marker == 0xD9 { return nil }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                i += 2
                continue
            }
            guard i + 4 <= n else { return nil }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2 else { return nil }
            let start = i + 4
            let end = min(n, i + 2 + length)
            if marker == 0xE1, end - start >= 6,
               bytes[start] == 0x45, bytes[start + 1] == 0x78, bytes[start + 2] == 0x69,
               bytes[start + 3] == 0x66, bytes[start + 4] == 0, bytes[start + 5] == 0 {
                let tiff = UnsafeBufferPointer(rebasing: bytes[(start + 6)..<end])
                return orientation(inTIFF: tiff)
            }
            i += 2 + length
        }
        return nil
    }

    /// Orientation from a TIFF-structured EXIF block (byte-order mark, 42, IFD0 offset).
    static func orientation(inTIFF t: UnsafeBufferPointer<UInt8>) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<count {
            let entry = ifd + 2 + 12 * k
            guard let tag = u16(entry), let type = u16(entry + 2) else { return nil }
            guard tag == 0x0112 else { continue }
            let value: Int?
            switch type {
            case 3: value = u16(entry + 8)   // SHORT
            case 4: value = u32(entry + 8)   // LONG
            default: value = nil
            }
            guard let value, (1...8).contains(value) else { return nil }
            return value
        }
        return nil
    }
}
