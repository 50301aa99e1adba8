import Canonicalization
import Foundation
import ImageCodecs
import ModelRuntime
import NeuralNet
import TensorCore

/// The real-data figures of continuous canonicalization: angular errors of scans and of nuclei
/// point sets turned by random angles, for models that never saw them.
public enum EGNNMeasurement {
    /// Held-out scans: every scan of `sources` that the package was not trained on (by file
    /// name), reduced to the package's working size, turned by `turns` seeded angles each.
    public static func heldOutScans(package: EGNNPackage, sources: [String], workingSize: Int,
                                    turns: Int, seed: UInt64) throws
        -> (files: [String], errors: AngularErrors) {
        let trained = Set(package.metadata.trainingData.train.map {
            ($0 as NSString).lastPathComponent
        })
        let files = try DatasetIndex.orientation(sources: sources).cases.map(\.image)
            .filter { !trained.contains(($0 as NSString).lastPathComponent) }
        let planes = try EGNNTraining.workingPlanes(files, size: workingSize)
        let errors = try EGNNTraining.angularErrors(
            of: package.canonicalizer, keypoints: package.metadata.keypoints, planes: planes,
            size: workingSize, turns: turns, seed: seed)
        return (files, errors)
    }

    /// Nuclei: the image and instance map (16-bit ids) are cut into four quadrant tiles; an
    /// O(2)-free SO(2) EGNN is trained on the object keypoints (`ScanKeypoints.objectKeypoints`:
    /// centroid, relative size, mean intensity) of three tiles turned by random angles, and the
    /// fourth tile, image and instances turned together (bilinear and nearest, about the
    /// tile centre, objects outside the inscribed disc dropped), is canonicalized: the error is
    /// |angle(turned) − angle(unturned) − applied angle|, since nuclei have no upright pose.
    public static func nuclei(image: String, instances: String, steps: Int, turns: Int,
                              seed: UInt64) throws -> AngularErrors {
        let scan = try ImageDecoder.decode(path: image)
        let ids = try ImageDecoder.decode(path: instances)
        let intensity = try ImagePlanes(scan: scan, channels: 1, file: image).values
        let labels = try ImagePlanes(scan: ids, channels: 1, file: instances).values
            .map { Int32($0) }
        let side = min(scan.width, scan.height) / 2
        func tile(_ k: Int) -> (intensity: [Float], labels: [Int32]) {
            let (top, left) = ((k / 2) * side, (k % 2) * side)
            var a = [Float](), b = [Int32]()
            for r in top..<(top + side) {
                let row = r * scan.width
                a += intensity[(row + left)..<(row + left + side)]
                b += labels[(row + left)..<(row + left + side)]
            }
            return (a, b)
        }
        func points(_ t: (intensity: [Float], labels: [Int32]), angle: Double) -> PointSet {
            let rotation = PlaneRotation(angle: angle, height: side, width: side,
                                         interpolation: .nearest)
            var turned = rotation.apply(labels: t.labels)
            let centre = Double(side - 1) / 2, radius = Double(side) / 2
            for p in 0..<turned.count {
                let (dr, dc) = (Double(p / side) - centre, Double(p % side) - centre)
                if dr * dr + dc * dc > radius * radius { turned[p] = 0 }
            }
            let values = PlaneRotation(angle: angle, height: side, width: side)
                .apply(Tensor(shape: [side, side], storage: t.intensity)).storage
            return ScanKeypoints.objectKeypoints(labels: turned, height: side, width: side,
                                                 intensities: values, minimumArea: 4)
        }
        let tiles = (0..<4).map(tile)
        let training = tiles.prefix(3).map { points($0, angle: 0) }
        let model = try EGNNCanonicalizer(configuration: EGNNConfiguration(
            group: .so2, featureChannels: ScanKeypoints.objectFeatureCount, hiddenFeatures: 24,
            messageFeatures: 24, vectorChannels: 4, layers: 3, graph: .nearest(k: 6),
            seed: seed))
        let trainer = EGNNOrientationTrainer(canonicalizer: model,
                                             optimizer: Adam(module: model, learningRate: 3e-3))
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<steps {
            try trainer.step(upright: (0..<4).map { _ in training[generator.nextInt(below: 3)] },
                             generator: &generator)
        }
        model.eval()
        let reference = try model.canonicalize(points(tiles[3], angle: 0)).frame.angle
        var errors = AngularErrors(absolute: [], consistency: [])
        for _ in 0..<turns {
            let theta = 2 * Double.pi * generator.nextDouble() - .pi
            let found = try model.canonicalize(points(tiles[3], angle: theta)).frame.angle
            let error = abs(OrientationFrame.angleDifference(found, reference + theta)) * 180 / .pi
            errors.consistency.append(error)
            errors.absolute.append(error)
        }
        return errors
    }
}
