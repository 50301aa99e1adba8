import NeuralNet
import TensorCore
import XCTest

/// End to end: a small CNN learns to tell horizontal from vertical bars in noisy images.
final class ConvergenceTests: XCTestCase {
    /// A batch of (N, 1, size, size) images, each with one bar 2 pixels thick and 5 to `size`
    /// pixels long at a random place, horizontal (label 0) or vertical (label 1), plus
    /// Gaussian noise of std 0.35 on a background of 0 and a bar of 1.
    static func bars(count: Int, size: Int = 12,
                     generator: inout SeededGenerator) -> (images: Tensor, labels: [Int32]) {
        var images = Tensor.gaussian(shape: [count, 1, size, size], std: 0.35,
                                     generator: &generator)
        var labels: [Int32] = []
        for n in 0..<count {
            let vertical = generator.nextInt(below: 2) == 1
            let length = 5 + generator.nextInt(below: size - 4)
            let start = generator.nextInt(below: size - length + 1)
            let across = generator.nextInt(below: size - 1)
            for along in start..<(start + length) {
                for thickness in 0..<2 {
                    let (row, column) = vertical ? (along, across + thickness)
                        : (across + thickness, along)
                    images[n, 0, row, column] += 1
                }
            }
            labels.append(vertical ? 1 : 0)
        }
        return (images, labels)
    }

    private final class BarClassifier: Module {
        let features: Sequential
        let head: Linear

        init(generator: inout SeededGenerator) {
            features = Sequential(
                Conv2d(inputChannels: 1, outputChannels: 8, kernelSize: 3, padding: 1,
                       generator: &generator),
                BatchNorm2d(featureCount: 8), ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1,
                       generator: &generator),
                ReLU(), GlobalAvgPool())
            head = Linear(inputFeatures: 8, outputFeatures: 2, initializer: .xavierUniform,
                          generator: &generator)
        }

        override func forward(_ x: Variable) -> Variable { head(features(x)) }
    }

    func testSmallCNNLearnsBarOrientationToAtLeast95Percent() throws {
        var generator = SeededGenerator(seed: 42)
        let model = BarClassifier(generator: &generator)
        let optimizer = Adam(module: model, learningRate: 0.02)
        let schedule = LinearWarmup(steps: 5, then: CosineDecay(base: 0.02, totalSteps: 195))
        var firstLoss: Float = 0, lastLoss: Float = 0
        for step in 0..<200 {
            let batch = Self.bars(count: 32, generator: &generator)
            optimizer.zeroGradients()
            let loss = Functional.crossEntropy(logits: model(Variable(batch.images)),
                                               targets: batch.labels)
            loss.backward()
            clipGradientNorm(optimizer.parameters, maximumNorm: 5)
            optimizer.learningRate = schedule.learningRate(atStep: optimizer.stepCount)
            optimizer.step()
            if step == 0 { firstLoss = loss.value.storage[0] }
            lastLoss = loss.value.storage[0]
        }

        model.eval()
        var testGenerator = SeededGenerator(seed: 4242)
        let test = Self.bars(count: 400, generator: &testGenerator)
        let logits = GradientTape.withoutRecording { model(Variable(test.images)).value }
        let predictions = logits.argmax(alongAxis: 1)
        let correct = zip(predictions, test.labels).filter { $0 == Int($1) }.count
        let accuracy = Double(correct) / Double(test.labels.count)
        print("bar orientation: loss \(firstLoss) → \(lastLoss), held-out accuracy \(accuracy)")
        XCTAssertGreaterThanOrEqual(accuracy, 0.95, "loss \(firstLoss) → \(lastLoss)")
    }
}
