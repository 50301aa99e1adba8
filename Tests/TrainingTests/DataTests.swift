import Equivariance
import Foundation
import ImageCodecs
import TensorCore
import XCTest
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

final class DataTests: XCTestCase {
    func grayScan(_ width: Int, _ height: Int, _ values: [UInt8]) -> Scan {
        TestImages.grayScan(width: width, height: height, pixels: values)
    }

    /// The group action on image planes (every channel) and label maps is numpy's
    /// `rot90(fliplr^m(a), r)` for every element of D4; the inverse undoes it.
    func testGroupActionOnPlanesAndLabelsFollowsNumpy() {
        let values = (0..<(2 * 2 * 3)).map { Float($0) }
        let planes = ImagePlanes(channels: 2, width: 3, height: 2, values: values)
        let labels = LabelMap(width: 3, height: 2, values: [1, 2, 3, 4, 5, 6])
        for element in Group.d4.elements {
            let got = Group.d4.transform(planes, by: element)
            let expected = NumpyGrid.act(values, height: 2, width: 3, by: element)
            XCTAssertEqual(got.values, expected.samples, "\(element)")
            XCTAssertEqual([got.channels, got.height, got.width],
                           [2, expected.height, expected.width], "\(element)")
            XCTAssertEqual(Group.d4.transform(got, by: Group.d4.inverse(element)), planes)
            let moved = Group.d4.transform(labels, by: element)
            XCTAssertEqual(moved.values,
                           NumpyGrid.act(labels.values, height: 2, width: 3, by: element).samples)
        }
    }

    func testColourConversion() throws {
        let rgba = Scan(width: 1, height: 1, channels: 4, samples: .uint8([100, 200, 50, 7]),
                        metadata: ScanMetadata(format: .png, colorModel: .rgba, bitsPerSample: 8))
        let gray = try ImagePlanes(scan: rgba, channels: 1, file: "x")
        XCTAssertEqual(gray.values[0], 0.299 * 100 + 0.587 * 200 + 0.114 * 50, accuracy: 1e-4)
        XCTAssertEqual(try ImagePlanes(scan: rgba, channels: 3, file: "x").values, [100, 200, 50])
        XCTAssertEqual(try ImagePlanes(scan: grayScan(1, 1, [9]), channels: 3, file: "x").values,
                       [9, 9, 9])
    }

    func testBilinearResize() {
        let planes = ImagePlanes(channels: 1, width: 4, height: 2,
                                 values: [0, 2, 4, 6, 8, 10, 12, 14])
        // Halving: each output is the mean of a 2x2 block (sample positions 0.5, 2.5).
        XCTAssertEqual(planes.resizedBilinear(width: 2, height: 1).values, [5, 9])
        // Doubling a 2-pixel row [0, 4]: positions -0.25 (clamped to 0), 0.25, 0.75, 1.25
        // (clamped to 1) -> 0, 1, 3, 4.
        let row = ImagePlanes(channels: 1, width: 2, height: 1, values: [0, 4])
        XCTAssertEqual(row.resizedBilinear(width: 4, height: 1).values, [0, 1, 3, 4])
        let labels = LabelMap(width: 2, height: 1, values: [1, 2])
        XCTAssertEqual(labels.resizedNearest(width: 4, height: 2).values, [1, 1, 2, 2, 1, 1, 2, 2])
    }

    func testNormalizations() {
        let planes = ImagePlanes(channels: 1, width: 5, height: 1, values: [0, 10, 20, 30, 40])
        XCTAssertEqual(planes.normalized(.minMax).values, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(planes.normalized(.window(low: 10, high: 30)).values, [0, 0, 0.5, 1, 1])
        // Percentiles 25 and 75 of 0..40 are 10 and 30 (linear interpolation).
        XCTAssertEqual(planes.normalized(.percentile(lower: 25, upper: 75)).values,
                       [0, 0, 0.5, 1, 1])
        // Mean 20, population standard deviation sqrt(200).
        let z = planes.normalized(.zScore).values
        let expected = [-20, -10, 0, 10, 20].map { Float(Double($0) / 200.0.squareRoot()) }
        let worst = zip(z, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-6, "worst z-score error \(worst)")
        let constant = ImagePlanes(channels: 1, width: 2, height: 1, values: [3, 3])
        XCTAssertEqual(constant.normalized(.minMax).values, [0, 0])
        XCTAssertEqual(constant.normalized(.zScore).values, [0, 0])
    }

    func testLabelMapRejectsUnknownValues() {
        let labels = [LabelClass(name: "cell", values: [255]),
                      LabelClass(name: "membrane", values: [0])]
        XCTAssertEqual(try LabelMap(scan: grayScan(2, 1, [0, 255]), labels: labels, file: "l.png")
                        .values, [1, 0])
        XCTAssertThrowsError(try LabelMap(scan: grayScan(2, 1, [0, 7]), labels: labels,
                                          file: "l.png")) { error in
            XCTAssertEqual("\(error)", "l.png: pixel value 7 at (1, 0) is not one of the "
                           + "configured label values 0, 255")
        }
    }

    /// Writes a small classification tree and a segmentation pair under a temporary folder.
    func makeFixtures() throws -> String {
        let root = temporaryFolder(prefix: "equiscan-data")
        for (k, name) in ["a", "b"].enumerated() {
            for i in 0..<(k == 0 ? 6 : 4) {
                try TestImages.writeGrayPNG(
                    width: 4, height: 4, pixels: [UInt8](repeating: UInt8(i * 10 + k), count: 16),
                    to: "\(root)/cls/\(name)/\(i).png")
            }
        }
        try "path,label\ncls/a/0.png,a\ncls/b/1.png,b\n".write(toFile: "\(root)/list.csv",
                                                               atomically: true, encoding: .utf8)
        try TestImages.writeGrayPNG(width: 4, height: 2,
                                    pixels: [0, 50, 100, 150, 200, 250, 250, 250],
                                    to: "\(root)/seg/images/p.png")
        try TestImages.writeGrayPNG(width: 4, height: 2, pixels: [0, 0, 255, 255, 0, 0, 255, 255],
                                    to: "\(root)/seg/labels/p.png")
        return root
    }

    func testFolderAndCSVIndexesAndStratifiedSplit() throws {
        let root = try makeFixtures()
        let index = try DatasetIndex.classificationFolders(root: "\(root)/cls", classes: [])
        XCTAssertEqual(index.classNames, ["a", "b"])
        XCTAssertEqual(index.classCounts, [6, 4])
        let split = index.split(validationFraction: 0.5, seed: 3)
        XCTAssertEqual(split.validation.classCounts, [3, 2])
        XCTAssertEqual(split.train.classCounts, [3, 2])
        XCTAssertEqual(index.split(validationFraction: 0.5, seed: 3).validation, split.validation)
        XCTAssertNotEqual(index.split(validationFraction: 0.5, seed: 4).validation.cases,
                          split.validation.cases, "a different seed should give another split")
        let csv = try DatasetIndex.classificationCSV(file: "\(root)/list.csv", classes: ["b", "a"])
        XCTAssertEqual(csv.cases.map(\.target), [.classIndex(1), .classIndex(0)])
        XCTAssertThrowsError(try DatasetIndex.classificationFolders(root: "\(root)/cls",
                                                                    classes: ["a", "c"])) {
            XCTAssertEqual(($0 as? DataError)?.kind, .missing)
        }
    }

    func testSegmentationCaseLoadsResizedAndNormalised() throws {
        let root = try makeFixtures()
        let labels = [LabelClass(name: "bg", values: [0]),
                      LabelClass(name: "fg", values: [255])]
        let index = try DatasetIndex.segmentation(root: "\(root)/seg", labelNames: ["bg", "fg"])
        let loader = CaseLoader(input: InputSpec(width: 2, height: 1, channels: 1,
                                                 normalization: .window(low: 0, high: 250)),
                                labelClasses: labels, caseCount: 1)
        let item = try loader.load(index.cases[0])
        // Halving 4x2 -> 2x1 averages 2x2 blocks: (0+50+200+250)/4 = 125, (100+150+250+250)/4.
        let expected: [Float] = [125.0 / 250, 187.5 / 250]
        let worst = zip(item.image.values, expected).map { abs($0 - $1) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-6, "worst error \(worst)")
        // Nearest: output pixel centres 1.0 and 3.0 in x, 1.0 in y -> source (1,1) and (3,1).
        XCTAssertEqual(item.labels?.values, [0, 1])
        XCTAssertTrue(loader.caching)
        // Streaming: nothing is kept, every load reads the files again, with the same result.
        let streaming = CaseLoader(input: loader.input, labelClasses: labels, cache: .never,
                                   caseCount: 1)
        XCTAssertFalse(streaming.caching)
        XCTAssertEqual(try streaming.load(index.cases[0]), item)
        XCTAssertEqual(try streaming.load(index.cases[0]), item)
        // 2^25 cases of 2x1 pixels at 16 bytes each are 512 MiB: above the auto limit.
        XCTAssertFalse(CaseLoader(input: loader.input, caseCount: 1 << 25).caching)
        XCTAssertTrue(CaseLoader(input: loader.input, caseCount: 1 << 20).caching)
    }

    func testAugmenterIsSeededAndMovesLabelsWithTheImage() {
        var values = [Float]()
        for i in 0..<64 { values.append(Float(i)) }
        let item = LoadedCase(image: ImagePlanes(channels: 1, width: 8, height: 8, values: values),
                              labels: LabelMap(width: 8, height: 8, values: values.map(Int32.init)))
        let augmenter = Augmenter(spec: AugmentationSpec(groupElements: true, flips: true,
                                                         crop: [4, 4], brightness: 0, contrast: 0),
                                  group: .d4)
        var first = SeededGenerator(seed: 11)
        var second = SeededGenerator(seed: 11)
        var seen = Set<[Float]>()
        for _ in 0..<20 {
            let a = augmenter.augment(item, generator: &first)
            let b = augmenter.augment(item, generator: &second)
            XCTAssertEqual(a, b)
            XCTAssertEqual(a.image.values, a.labels?.values.map(Float.init))
            XCTAssertEqual(a.image.width, 4)
            seen.insert(a.image.values)
        }
        XCTAssertGreaterThan(seen.count, 5, "augmentation should vary between draws")
    }

    /// Gamma keeps 0 and 1 and the order of samples, with an exponent inside its range;
    /// inversion with probability 1 maps v to 1 − v; noise has the configured spread; all off
    /// leave the case and the generator untouched.
    func testGammaAndInversionAugmentation() throws {
        let values: [Float] = [0, 0.25, 0.5, 0.75, 1, 1.5, -0.5, 0.1, 0.9]
        let item = LoadedCase(image: ImagePlanes(channels: 1, width: 3, height: 3,
                                                 values: values))
        var gammaSpec = AugmentationSpec.none
        gammaSpec.gamma = 1
        var generator = SeededGenerator(seed: 5)
        var exponents = Set<Float>()
        for _ in 0..<20 {
            let out = Augmenter(spec: gammaSpec, group: .d4).augment(item, generator: &generator)
            XCTAssertEqual(out.image.values[0], 0)
            XCTAssertEqual(out.image.values[4], 1)
            XCTAssertEqual(out.image.values[5], 1, "samples above 1 are clamped")
            XCTAssertEqual(out.image.values[6], 0, "samples below 0 are clamped")
            let exponent = log(out.image.values[2]) / log(Float(0.5))
            XCTAssertGreaterThanOrEqual(exponent, 0.5 - 1e-4)
            XCTAssertLessThanOrEqual(exponent, 2 + 1e-4)
            XCTAssertEqual(out.image.values[1], pow(0.25, exponent), accuracy: 1e-5)
            exponents.insert((exponent * 1000).rounded())
        }
        XCTAssertGreaterThan(exponents.count, 5, "the exponent should vary between draws")

        var invertSpec = AugmentationSpec.none
        invertSpec.invert = 1
        let inverted = Augmenter(spec: invertSpec, group: .d4).augment(item, generator: &generator)
        XCTAssertEqual(inverted.image.values, values.map { 1 - $0 })

        // Noise: zero mean and the configured standard deviation (10,000 samples; tolerance
        // about five standard errors).
        var noiseSpec = AugmentationSpec.none
        noiseSpec.noise = 0.1
        let flat = LoadedCase(image: ImagePlanes(channels: 1, width: 100, height: 100,
                                                 values: [Float](repeating: 0.5, count: 10_000)))
        let noisy = Augmenter(spec: noiseSpec, group: .d4).augment(flat, generator: &generator)
        let deviations = noisy.image.values.map { Double($0) - 0.5 }
        let mean = deviations.reduce(0, +) / 10_000
        let std = (deviations.map { $0 * $0 }.reduce(0, +) / 10_000).squareRoot()
        print("noise augmentation: mean \(mean), std \(std) (expected 0, 0.1)")
        XCTAssertEqual(mean, 0, accuracy: 0.005)
        XCTAssertEqual(std, 0.1, accuracy: 0.004)

        var untouched = SeededGenerator(seed: 9)
        let reference = SeededGenerator(seed: 9)
        let same = Augmenter(spec: .none, group: .d4).augment(item, generator: &untouched)
        XCTAssertEqual(same, item)
        XCTAssertEqual(untouched, reference)

        // Metadata written before gamma and invert existed still decodes, with both off.
        let old = #"{"groupElements": false, "flips": true, "brightness": 0.1, "contrast": 0}"#
        let decoded = try JSONDecoder().decode(AugmentationSpec.self, from: Data(old.utf8))
        XCTAssertEqual(decoded, AugmentationSpec(groupElements: false, flips: true, crop: nil,
                                                 brightness: 0.1, contrast: 0))
        XCTAssertEqual(try JSONDecoder().decode(AugmentationSpec.self,
                                                from: JSONEncoder().encode(invertSpec)),
                       invertSpec)
        // Off options are left out of the metadata, so older packages keep their bytes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(String(decoding: try encoder.encode(decoded), as: UTF8.self),
                       #"{"brightness":0.1,"contrast":0,"flips":true,"groupElements":false}"#)
    }

    /// The field interpolates its control points bilinearly: corners take their control value,
    /// the midpoint of an edge the mean of its two corners, the centre the mean of all four.
    func testDisplacementFieldInterpolatesItsControlPoints() {
        let field = DisplacementField(width: 5, height: 5, points: 2,
                                      controlX: [0, 4, 8, 12], controlY: [1, 1, -3, -3])
        XCTAssertEqual(field.dx[0], 0)
        XCTAssertEqual(field.dx[4], 4)
        XCTAssertEqual(field.dx[20], 8)
        XCTAssertEqual(field.dx[24], 12)
        XCTAssertEqual(field.dx[2], 2, accuracy: 1e-6)
        XCTAssertEqual(field.dx[12], 6, accuracy: 1e-6)
        XCTAssertEqual(field.dy[12], -1, accuracy: 1e-6)
        // Three points a side: only the centre control point moves, by (2, -1).
        var controlX = [Double](repeating: 0, count: 9), controlY = controlX
        controlX[4] = 2
        controlY[4] = -1
        let bump = DisplacementField(width: 9, height: 9, points: 3, controlX: controlX,
                                     controlY: controlY)
        XCTAssertEqual(bump.dx[4 * 9 + 4], 2, accuracy: 1e-6)
        XCTAssertEqual(bump.dy[4 * 9 + 4], -1, accuracy: 1e-6)
        XCTAssertEqual(bump.dx[4 * 9 + 2], 1, accuracy: 1e-6)
        XCTAssertEqual(bump.dx[2 * 9 + 2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(bump.dx[0], 0)
        XCTAssertEqual(bump.dx[8 * 9 + 8], 0)
    }

    /// Warps checked against a naive loop: a constant whole-pixel field shifts image and labels
    /// alike (edge samples repeated); a half-pixel field averages neighbours.
    func testWarpsShiftAndInterpolateLikeANaiveLoop() {
        let (w, h) = (6, 5)
        let values = (0..<(2 * w * h)).map { Float(($0 * 7) % 11) }
        let image = ImagePlanes(channels: 2, width: w, height: h, values: values)
        let labels = LabelMap(width: w, height: h,
                              values: (0..<(w * h)).map { Int32(($0 * 5) % 3) })
        let shift = DisplacementField(width: w, height: h,
                                      dx: [Float](repeating: 2, count: w * h),
                                      dy: [Float](repeating: -1, count: w * h))
        let shifted = image.warped(by: shift)
        let shiftedLabels = labels.warped(by: shift)
        for c in 0..<2 {
            for y in 0..<h {
                for x in 0..<w {
                    let (sx, sy) = (min(x + 2, w - 1), max(y - 1, 0))
                    XCTAssertEqual(shifted.values[(c * h + y) * w + x],
                                   values[(c * h + sy) * w + sx])
                    if c == 0 {
                        XCTAssertEqual(shiftedLabels.values[y * w + x], labels.values[sy * w + sx])
                    }
                }
            }
        }
        let half = DisplacementField(width: w, height: h,
                                     dx: [Float](repeating: 0.5, count: w * h),
                                     dy: [Float](repeating: 0, count: w * h))
        let averaged = image.warped(by: half)
        XCTAssertEqual(averaged.values[w + 1], (values[w + 1] + values[w + 2]) / 2,
                       accuracy: 1e-6)
        XCTAssertEqual(averaged.values[w + w - 1], values[w + w - 1], "the edge repeats")
    }

    /// A 0/1 checkerboard picture of cells cellWidth × cellHeight with the same labels.
    func checkerboard(width w: Int, height h: Int, cellWidth: Int, cellHeight: Int)
        -> LoadedCase {
        var labelValues = [Int32]()
        for y in 0..<h {
            for x in 0..<w { labelValues.append(Int32(((x / cellWidth) + (y / cellHeight)) % 2)) }
        }
        return LoadedCase(image: ImagePlanes(channels: 1, width: w, height: h,
                                             values: labelValues.map(Float.init)),
                          labels: LabelMap(width: w, height: h, values: labelValues))
    }

    /// Elastic augmentation is seeded, changes the case, keeps labels on the image (a 0/1
    /// picture and its labels: wherever the bilinear sample is pure, the nearest label agrees),
    /// and round-trips through metadata and config parsing.
    func testElasticAugmentationKeepsLabelsOnTheImage() throws {
        let (w, h) = (48, 48)
        let item = checkerboard(width: w, height: h, cellWidth: 6, cellHeight: 8)
        var spec = AugmentationSpec.none
        spec.elastic = ElasticSpec(displacement: 3, points: 3)
        let augmenter = Augmenter(spec: spec, group: .d4)
        var first = SeededGenerator(seed: 3), second = SeededGenerator(seed: 3)
        var changed = 0
        for _ in 0..<10 {
            let out = augmenter.augment(item, generator: &first)
            XCTAssertEqual(out, augmenter.augment(item, generator: &second))
            let labels = try XCTUnwrap(out.labels)
            var pure = 0
            for (value, label) in zip(out.image.values, labels.values)
                where value == 0 || value == 1 {
                XCTAssertEqual(Int32(value), label)
                pure += 1
            }
            XCTAssertGreaterThan(pure, w * h / 2, "most samples lie inside one stripe")
            if labels != item.labels { changed += 1 }
        }
        XCTAssertGreaterThan(changed, 5, "the warp should move the labels")

        let encoded = try JSONEncoder().encode(spec)
        XCTAssertEqual(try JSONDecoder().decode(AugmentationSpec.self, from: encoded), spec)
        let config = try TrainingConfig.parse(TrainingConfigTests.valid.replacingOccurrences(
            of: #""crop": [24, 24],"#, with: #""crop": [24, 24], "elastic": {"displacement": 4},"#))
        XCTAssertEqual(config.augmentation.elastic, ElasticSpec(displacement: 4, points: 3))
        let onePoint = #""crop": [24, 24], "elastic": {"displacement": 4, "points": 1},"#
        XCTAssertThrowsError(try TrainingConfig.parse(TrainingConfigTests.valid
            .replacingOccurrences(of: #""crop": [24, 24],"#, with: onePoint))) {
            XCTAssertTrue("\($0)".contains("/augmentation/elastic/points"), "\($0)")
        }
    }

    /// A zoom field checked against a naive loop: on a linear ramp (which bilinear sampling
    /// reproduces exactly) output pixel p holds the ramp at c + (p − c) / factor; factor 1 is
    /// no change, and labels are zoomed with the image.
    func testZoomFieldMagnifiesAboutTheCentre() {
        let (w, h) = (9, 7)
        let ramp = (0..<(w * h)).map { Float(3 * ($0 % w) + 5 * ($0 / w)) }
        let image = ImagePlanes(channels: 1, width: w, height: h, values: ramp)
        let (cx, cy) = (Double(w - 1) / 2, Double(h - 1) / 2)
        for factor in [1.0, 1.25, 1.5, 2.0] {
            let zoomed = image.warped(by: .zoom(width: w, height: h, factor: factor))
            for y in 0..<h {
                for x in 0..<w {
                    let sx = cx + (Double(x) - cx) / factor, sy = cy + (Double(y) - cy) / factor
                    XCTAssertEqual(Double(zoomed.values[y * w + x]), 3 * sx + 5 * sy,
                                   accuracy: 1e-4, "factor \(factor) at (\(x), \(y))")
                }
            }
        }
        XCTAssertEqual(image.warped(by: .zoom(width: w, height: h, factor: 1)), image)
        // Shrinking samples beyond the border, which repeats the edge.
        let shrunk = image.warped(by: .zoom(width: w, height: h, factor: 0.5))
        XCTAssertEqual(shrunk.values[0], ramp[0])
        XCTAssertEqual(shrunk.values[w * h - 1], ramp[w * h - 1])
    }

    /// Zoom augmentation draws its factor inside the range, is seeded, keeps labels on the
    /// image, and round-trips through the package metadata and the training config, whose
    /// parser rejects a reversed or out-of-range range by its path.
    func testZoomAugmentationKeepsLabelsOnTheImageAndParses() throws {
        let (w, h) = (32, 32)
        let item = checkerboard(width: w, height: h, cellWidth: 4, cellHeight: 4)
        var spec = AugmentationSpec.none
        spec.zoom = [1, 1.5]
        let augmenter = Augmenter(spec: spec, group: .d4)
        var first = SeededGenerator(seed: 8), second = SeededGenerator(seed: 8)
        var seen = Set<[Int32]>()
        for _ in 0..<10 {
            let out = augmenter.augment(item, generator: &first)
            XCTAssertEqual(out, augmenter.augment(item, generator: &second))
            let labels = try XCTUnwrap(out.labels)
            for (value, label) in zip(out.image.values, labels.values)
                where value == 0 || value == 1 {
                XCTAssertEqual(Int32(value), label)
            }
            // Magnified about the centre: the checkerboard's cells are at least as large, so
            // the centre row changes label no more often than the original's.
            let row = labels.values[(h / 2 * w)..<(h / 2 * w + w)]
            let changes = zip(row, row.dropFirst()).filter { $0 != $1 }.count
            XCTAssertLessThanOrEqual(changes, w / 4 - 1)
            seen.insert(labels.values)
        }
        XCTAssertGreaterThan(seen.count, 5, "the factor should vary between draws")

        let encoded = try JSONEncoder().encode(spec)
        XCTAssertEqual(try JSONDecoder().decode(AugmentationSpec.self, from: encoded), spec)
        XCTAssertEqual(try AugmentationSpec.parseMetadata(ConfigNode.parse(
            String(decoding: encoded, as: UTF8.self))), spec)
        let plain = try JSONEncoder().encode(AugmentationSpec.none)
        XCTAssertFalse(String(decoding: plain, as: UTF8.self).contains("zoom"),
                       "packages without zoom keep their metadata")
        let config = try TrainingConfig.parse(TrainingConfigTests.valid.replacingOccurrences(
            of: #""crop": [24, 24],"#, with: #""crop": [24, 24], "zoom": [0.8, 1.4],"#))
        XCTAssertEqual(config.augmentation.zoom, [0.8, 1.4])
        for bad in ["[1.4, 1]", "[0.2, 1]", "[1, 3]", "[1]"] {
            XCTAssertThrowsError(try TrainingConfig.parse(TrainingConfigTests.valid
                .replacingOccurrences(of: #""crop": [24, 24],"#,
                                      with: #""crop": [24, 24], "zoom": "# + bad + ","))) {
                XCTAssertTrue("\($0)".contains("/augmentation/zoom"), "\(bad): \($0)")
            }
        }
    }
}
