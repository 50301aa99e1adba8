import Foundation

/// Builders for small, deliberately crafted image files used by the decode tests (bombs,
/// pixel size, orientation tags). Each writes the format's structure directly so that a test
/// can state a header the encoders would never produce.
enum DecodeTestFiles {
    // MARK: PNG

    /// A PNG chunk with its CRC.
    static func pngChunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var out = bigEndian32(UInt32(body.count))
        out += typeBytes + body
        out += bigEndian32(crc32(typeBytes + body))
        return out
    }

    /// Signature + IHDR (+ extra chunks) + one IDAT holding `idat` + IEND.
    static func png(width: UInt32, height: UInt32, bitDepth: UInt8 = 8, colorType: UInt8 = 0,
                    extra: [[UInt8]] = [], idat: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = bigEndian32(width) + bigEndian32(height) + [bitDepth, colorType, 0, 0, 0]
        out += pngChunk("IHDR", ihdr)
        for chunk in extra { out += chunk }
        out += pngChunk("IDAT", idat)
        out += pngChunk("IEND", [])
        return out
    }

    /// A zlib stream of stored (uncompressed) blocks holding `data`.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let last: UInt8 = offset + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xFF), UInt8(n >> 8),
                    UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian32(b << 16 | a)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
        }
        return ~crc
    }

    static func bigEndian32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    // MARK: TIFF

    /// One IFD entry: tag, field type (3 SHORT, 4 LONG, 5 RATIONAL), values.
    struct TIFFEntry {
        var tag: UInt16
        var type: UInt16
        var values: [UInt32]
    }

    /// A little-endian single-page TIFF: pixel data first, then the IFD; entries holding more
    /// than four bytes go after the IFD. `StripOffsets` (273) values are offsets into `data`.
    static func tiff(entries: [TIFFEntry], data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x49, 0x49, 42, 0]
        let dataOffset: UInt32 = 8
        let ifdOffset = dataOffset + UInt32(data.count) + UInt32(data.count % 2)
        out += le32(ifdOffset)
        out += data
        if data.count % 2 == 1 { out.append(0) }
        let sorted = entries.sorted { $0.tag < $1.tag }
        var overflow: [UInt8] = []
        let overflowBase = ifdOffset + 2 + 12 * UInt32(sorted.count) + 4
        var ifd = le16(UInt16(sorted.count))
        for entry in sorted {
            var values = entry.values
            if entry.tag == 273 { values = values.map { $0 + dataOffset } }
            var payload: [UInt8] = []
            for v in values {
                switch entry.type {
                case 3: payload += le16(UInt16(truncatingIfNeeded: v))
                case 5: payload += le32(v) + le32(1)
                default: payload += le32(v)
                }
            }
            ifd += le16(entry.tag) + le16(entry.type) + le32(UInt32(values.count))
            if payload.count <= 4 {
                ifd += payload + [UInt8](repeating: 0, count: 4 - payload.count)
            } else {
                ifd += le32(overflowBase + UInt32(overflow.count))
                overflow += payload
            }
        }
        ifd += le32(0)
        return out + ifd + overflow
    }

    /// An 8-bit gray strip TIFF of `width × height` with the given samples and extra tags.
    static func grayTIFF(width: UInt32, height: UInt32, samples: [UInt8],
                         extra: [TIFFEntry] = []) -> [UInt8] {
        let entries = [
            TIFFEntry(tag: 256, type: 4, values: [width]),
            TIFFEntry(tag: 257, type: 4, values: [height]),
            TIFFEntry(tag: 258, type: 3, values: [8]),
            TIFFEntry(tag: 259, type: 3, values: [1]),
            TIFFEntry(tag: 262, type: 3, values: [1]),
            TIFFEntry(tag: 273, type: 4, values: [0]),
            TIFFEntry(tag: 277, type: 3, values: [1]),
            TIFFEntry(tag: 278, type: 4, values: [height]),
            TIFFEntry(tag: 279, type: 4, values: [UInt32(samples.count)]),
        ] + extra
        var merged: [UInt16: TIFFEntry] = [:]
        for entry in entries { merged[entry.tag] = entry }
        return tiff(entries: Array(merged.values), data: samples)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }

    // MARK: JPEG

    /// `jpeg` with the first SOF marker's height and width replaced.
    static func jpegWithSize(_ jpeg: [UInt8], width: UInt16, height: UInt16) -> [UInt8]? {
        var i = 2
        var out = jpeg
        while i + 9 < jpeg.count {
            guard jpeg[i] == 0xFF else { return nil }
            let marker = jpeg[i + 1]
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                out[i + 5] = UInt8(height >> 8)
                out[i + 6] = UInt8(height & 0xFF)
                out[i + 7] = UInt8(width >> 8)
                out[i + 8] = UInt8(width & 0xFF)
                return out
            }
            i += 2 + length
        }
        return nil
    }
}
