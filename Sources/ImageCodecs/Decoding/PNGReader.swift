import CCodecShims

/// PNG through libpng: palette → RGB(A), tRNS → alpha, 1/2/4-bit gray scaled to 8 bits,
/// 16-bit kept (little-endian in memory), Adam7 de-interlaced, read to IEND.
enum PNGReader {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>,
                       _ context: DecodeContext) throws -> Scan {
        guard let handle = es_png_create() else {
            throw context.error(.outOfMemory, "cannot allocate the PNG reader")
        }
        defer { es_png_destroy(handle) }
        var info = es_image_info()
        let opened = es_png_open(handle, bytes.baseAddress, bytes.count, &info)
        if opened != ES_OK {
            throw context.error(opened, es_png_message(handle))
        }
        if context.options.page != 0 {
            throw context.error(.pageOutOfRange,
                                "page \(context.options.page) requested, a PNG has 1 page")
        }
        let rowBytes = try context.checkSize(info)
        let samples = try context.samples(info, rowBytes: rowBytes,
                                          fill: { es_png_read(handle, $0, rowBytes) },
                                          message: { es_png_message(handle) })
        let colorModel: ColorModel
        switch (info.photometric, info.has_alpha != 0) {
        case (ES_PHOTO_RGB, false): colorModel = .rgb
        case (ES_PHOTO_RGB, true): colorModel = .rgba
        case (_, true): colorModel = .grayAlpha
        default: colorModel = .minIsBlack
        }
        let metadata = ScanMetadata(format: .png, colorModel: colorModel,
                                    bitsPerSample: Int(info.bits_in_file),
                                    pixelSizeMM: context.pixelSize(info))
        return Scan(width: Int(info.width), height: Int(info.height),
                    channels: Int(info.channels), samples: samples, metadata: metadata)
    }
}
