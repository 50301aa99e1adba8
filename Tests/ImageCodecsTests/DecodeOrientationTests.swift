import XCTest
@testable import ImageCodecs
import _TestSupport

/// The eight orientations, quarter turns and mirrors against naive per-pixel loops written
/// from the EXIF definitions (where stored row 0 / column 0 end up on screen).
final class DecodeOrientationTests: XCTestCase {
    /// A W x H x C scan whose every sample is distinct.
    func makeScan(width: Int, height: Int, channels: Int) -> Scan {
        let count = width * height * channels
        let values = (0..<count).map { UInt16($0 * 7 + 3) }
        return Scan(width: width, height: height, channels: channels, samples: .uint16(values),
                    metadata: ScanMetadata(format: .png, colorModel: .other, bitsPerSample: 16,
                                           pixelSizeMM: PixelSize(x: 0.5, y: 2.0)))
    }

    /// Naive display transform: for every stored pixel (x, y), where it lands on screen.
    /// Definitions: 1 as stored; 2 mirror horizontally; 3 rotate 180; 4 mirror vertically;
    /// 5 mirror horizontally then rotate 270 CW (= transpose); 6 rotate 90 CW;
    /// 7 mirror horizontally then rotate 90 CW (= transverse); 8 rotate 270 CW.
    func naive(_ scan: Scan, orientation: Int) -> [UInt16] {
        guard case .uint16(let src) = scan.samples else { return [] }
        let (w, h, c) = (scan.width, scan.height, scan.channels)
        let swaps = orientation >= 5
        let outW = swaps ? h : w
        var out = [UInt16](repeating: 0, count: src.count)
        for y in 0..<h {
            for x in 0..<w {
                let (nx, ny): (Int, Int)
                switch orientation {
                case 2: (nx, ny) = (w - 1 - x, y)
                case 3: (nx, ny) = (w - 1 - x, h - 1 - y)
                case 4: (nx, ny) = (x, h - 1 - y)
                case 5: (nx, ny) = (y, x)
                case 6: (nx, ny) = (h - 1 - y, x)
                case 7: (nx, ny) = (h - 1 - y, w - 1 - x)
                case 8: (nx, ny) = (y, w - 1 - x)
                default: (nx, ny) = (x, y)
                }
                for k in 0..<c {
                    out[(ny * outW + nx) * c + k] = src[(y * w + x) * c + k]
                }
            }
        }
        return out
    }

    func testAllEightOrientationsMatchNaiveLoops() {
        for (w, h, c) in [(5, 3, 1), (4, 7, 3), (1, 6, 2), (6, 1, 4), (1, 1, 1)] {
            let scan = makeScan(width: w, height: h, channels: c)
            for orientation in 1...8 {
                let result = scan.applyingOrientation(orientation)
                let swaps = orientation >= 5
                XCTAssertEqual(result.width, swaps ? h : w, "o=\(orientation) \(w)x\(h)")
                XCTAssertEqual(result.height, swaps ? w : h, "o=\(orientation) \(w)x\(h)")
                XCTAssertEqual(result.samples, .uint16(naive(scan, orientation: orientation)),
                               "orientation \(orientation) on \(w)x\(h)x\(c)")
                XCTAssertEqual(result.metadata.orientation, orientation)
                XCTAssertTrue(result.metadata.orientationApplied)
                let expectedSize = swaps ? PixelSize(x: 2.0, y: 0.5) : PixelSize(x: 0.5, y: 2.0)
                XCTAssertEqual(result.metadata.pixelSizeMM, expectedSize, "o=\(orientation)")
            }
        }
    }

    func testQuarterTurnsFollowNumpyRot90() {
        let scan = makeScan(width: 5, height: 3, channels: 2)
        guard case .uint16(let src) = scan.samples else { return XCTFail("uint16 expected") }
        let expected = NumpyGrid.rot90(src, height: 3, width: 5, channels: 2, times: 1)
        let turned = scan.rotated90(times: 1)
        XCTAssertEqual(turned.width, 3)
        XCTAssertEqual(turned.height, 5)
        XCTAssertEqual(turned.samples, .uint16(expected.samples))
        XCTAssertEqual(scan.rotated90(times: 1),
                       scan.applyingOrientation(8).withMetadata(of: turned))
        XCTAssertEqual(scan.rotated90(times: 2).samples, scan.applyingOrientation(3).samples)
        XCTAssertEqual(scan.rotated90(times: 3).samples, scan.applyingOrientation(6).samples)
        XCTAssertEqual(scan.rotated90(times: -1).samples, scan.rotated90(times: 3).samples)
        XCTAssertEqual(scan.rotated90(times: 4), scan)
        XCTAssertEqual(scan.rotated90(times: 1).rotated90(times: 3), scan)
    }

    func testMirrorFlipsWidthAndIsAnInvolution() {
        let scan = makeScan(width: 4, height: 2, channels: 3)
        XCTAssertEqual(scan.mirrored().samples, .uint16(naive(scan, orientation: 2)))
        XCTAssertEqual(scan.mirrored().mirrored(), scan)
    }

    /// Every sample type and channel count turns and mirrors like numpy's `rot90` / `fliplr`,
    /// for all eight poses of D4, and every EXIF orientation is the pose it names.
    func testEverySampleTypeFollowsNumpyForEveryPose() {
        // EXIF orientation → (quarter turns counter-clockwise, mirrored first).
        let orientationPoses = [1: (0, false), 2: (0, true), 3: (2, false), 4: (2, true),
                                5: (1, true), 6: (3, false), 7: (3, true), 8: (1, false)]
        for channels in 1...4 {
            let (width, height) = (4, 3)
            let v = (0..<(width * height * channels)).map { $0 * 5 + 1 }
            let variants: [Samples] = [
                .uint8(v.map { UInt8($0) }), .int8(v.map { Int8(truncatingIfNeeded: $0 - 100) }),
                .uint16(v.map { UInt16($0) }), .int16(v.map { Int16(-$0) }),
                .uint32(v.map { UInt32($0) }), .int32(v.map { Int32(-$0) }),
                .float32(v.map { Float($0) / 3 }), .float64(v.map { Double($0) / 7 }),
            ]
            for samples in variants {
                let scan = Scan(width: width, height: height, channels: channels,
                                samples: samples,
                                metadata: ScanMetadata(format: .tiff, colorModel: .other,
                                                       bitsPerSample: 32))
                func reference(_ turns: Int, _ mirrored: Bool) -> Samples {
                    func act<T>(_ a: [T]) -> [T] {
                        NumpyGrid.act(a, height: height, width: width, channels: channels,
                                      quarterTurns: turns, mirrored: mirrored).samples
                    }
                    switch samples {
                    case .uint8(let a): return .uint8(act(a))
                    case .int8(let a): return .int8(act(a))
                    case .uint16(let a): return .uint16(act(a))
                    case .int16(let a): return .int16(act(a))
                    case .uint32(let a): return .uint32(act(a))
                    case .int32(let a): return .int32(act(a))
                    case .float32(let a): return .float32(act(a))
                    case .float64(let a): return .float64(act(a))
                    }
                }
                let label = "\(samples.sampleType) × \(channels)"
                for turns in 0..<4 {
                    XCTAssertEqual(scan.rotated90(times: turns).samples, reference(turns, false),
                                   "R^\(turns) \(label)")
                    XCTAssertEqual(scan.mirrored().rotated90(times: turns).samples,
                                   reference(turns, true), "R^\(turns) F \(label)")
                }
                for (orientation, (turns, mirrored)) in orientationPoses {
                    XCTAssertEqual(scan.applyingOrientation(orientation).samples,
                                   reference(turns, mirrored),
                                   "orientation \(orientation) \(label)")
                }
            }
        }
    }

    func testJPEGOrientationAppliedOrKept() throws {
        let path = Fixtures.path("conformance/jpeg/pillow/hopper_orientation_6.jpg")
        let kept = try ImageDecoder.decode(path: path,
                                           options: DecodeOptions(applyOrientation: false))
        XCTAssertEqual(kept.metadata.orientation, 6)
        XCTAssertFalse(kept.metadata.orientationApplied)
        let applied = try ImageDecoder.decode(path: path)
        XCTAssertTrue(applied.metadata.orientationApplied)
        XCTAssertEqual(applied.width, kept.height)
        XCTAssertEqual(applied.samples, kept.applyingOrientation(6).samples)
    }

    func testTIFFOrientationTagOfCraftedFile() throws {
        // 3 x 2 gray with Orientation 8 (rotate 270 CW to display).
        let tiff = DecodeTestFiles.grayTIFF(width: 3, height: 2, samples: [1, 2, 3, 4, 5, 6],
                                            extra: [.init(tag: 274, type: 3, values: [8])])
        let scan = try ImageDecoder.decode(bytes: tiff, name: "o8.tif")
        XCTAssertEqual(scan.width, 2)
        XCTAssertEqual(scan.height, 3)
        // Stored rows [1 2 3] / [4 5 6]; turned counter-clockwise: [3 6] / [2 5] / [1 4].
        XCTAssertEqual(scan.samples, .uint8([3, 6, 2, 5, 1, 4]))
        XCTAssertEqual(scan.metadata.orientation, 8)
    }
}

private extension Scan {
    func withMetadata(of other: Scan) -> Scan {
        var copy = self
        copy.metadata = other.metadata
        return copy
    }
}
