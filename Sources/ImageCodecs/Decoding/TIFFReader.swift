import CCodecShims

/// TIFF through libtiff: samples as stored (no photometric inversion, palette indices kept
/// with the palette in the metadata), planar-separate interleaved, YCbCr-JPEG as RGB,
/// 1…7-bit samples one byte each unscaled, 9…15-bit as UInt16; any page of a multi-page file.
enum TIFFReader {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>,
                       _ context: DecodeContext) throws -> Scan {
        guard let handle = es_tiff_create() else {
            throw context.error(.outOfMemory, "cannot allocate the TIFF reader")
        }
        defer { es_tiff_destroy(handle) }
        let page = context.options.page
        guard page <= Int(UInt32.max) else {
            throw context.error(.pageOutOfRange, "page \(page) is beyond any TIFF")
        }
        // Bounds every single libtiff allocation (strip, tile, directory arrays): enough for
        // a one-strip image at the pixel limit with 8 bytes per pixel, never below 256 MiB.
        let (scaled, overflow) = context.options.pixelLimit.multipliedReportingOverflow(by: 8)
        let maxAlloc = UInt64(overflow ? Int.max : max(scaled, 256 << 20))
        var info = es_image_info()
        let opened = es_tiff_open(handle, bytes.baseAddress, bytes.count, UInt32(page),
                                  maxAlloc, &info)
        if opened != ES_OK {
            throw context.error(opened, es_tiff_message(handle))
        }
        let rowBytes = try context.checkSize(info)
        var palette: [UInt16]?
        if info.palette_count > 0 {
            palette = [UInt16](unsafeUninitializedCapacity: 3 * Int(info.palette_count)) {
                buffer, count in
                if let base = buffer.baseAddress {
                    es_tiff_palette(handle, base)
                    count = buffer.count
                } else {
                    count = 0
                }
            }
        }
        let samples = try context.samples(info, rowBytes: rowBytes,
                                          fill: { es_tiff_read(handle, $0, rowBytes) },
                                          message: { es_tiff_message(handle) })
        let alpha = info.has_alpha != 0
        let colorModel: ColorModel
        switch info.photometric {
        case ES_PHOTO_MIN_IS_BLACK where info.channels == 1: colorModel = .minIsBlack
        case ES_PHOTO_MIN_IS_BLACK where info.channels == 2 && alpha: colorModel = .grayAlpha
        case ES_PHOTO_MIN_IS_WHITE where info.channels == 1: colorModel = .minIsWhite
        case ES_PHOTO_RGB where info.channels == 3: colorModel = .rgb
        case ES_PHOTO_RGB where info.channels == 4 && alpha: colorModel = .rgba
        case ES_PHOTO_PALETTE: colorModel = .palette
        case ES_PHOTO_CMYK: colorModel = .cmyk
        default: colorModel = .other
        }
        let orientation = (1...8).contains(Int(info.orientation)) ? Int(info.orientation) : nil
        let metadata = ScanMetadata(format: .tiff, colorModel: colorModel,
                                    bitsPerSample: Int(info.bits_in_file),
                                    pageCount: Int(info.page_count), pageIndex: page,
                                    pixelSizeMM: context.pixelSize(info),
                                    orientation: orientation, palette: palette)
        return Scan(width: Int(info.width), height: Int(info.height),
                    channels: Int(info.channels), samples: samples, metadata: metadata)
    }
}
