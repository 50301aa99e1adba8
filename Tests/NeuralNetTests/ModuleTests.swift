import Foundation
import NeuralNet
import TensorCore
import XCTest

/// Parameter traversal, modes, cache hooks and state dictionaries of `Module`, on modules
/// built from raw variables and buffers (no kernels needed).
final class ModuleTests: XCTestCase {
    private final class Leaf: Module {
        let weight: Variable
        let bias: Variable?
        let statistics = Buffer(Tensor(zeros: [2]))
        var _cache: Variable? = Variable(Tensor(zeros: [9]), requiresGrad: true)
        var cacheDrops = 0

        init(size: Int, bias: Bool) {
            weight = Variable(Tensor(shape: [size, 2]) { Float($0) }, requiresGrad: true)
            self.bias = bias ? Variable(Tensor(zeros: [size]), requiresGrad: true) : nil
        }

        override func parametersOrModeDidChange() {
            cacheDrops += 1
            _cache = nil
        }

        override func forward(_ input: Variable) -> Variable { input }
    }

    private class Stage: Module {
        let blocks: [Leaf]
        let optional: Leaf?
        let absent: Leaf? = nil
        let frozen = Variable(Tensor(zeros: [1]), requiresGrad: false)

        override init() {
            blocks = [Leaf(size: 1, bias: true), Leaf(size: 2, bias: false)]
            optional = Leaf(size: 3, bias: true)
        }
    }

    private final class Network: Stage {
        let head = Leaf(size: 4, bias: true)
        let list: [Variable] = [Variable(Tensor(zeros: [1]), requiresGrad: true)]
        // Weight tying: one variable under two names is reported once, under the first.
        let tiedA: Variable
        let tiedB: Variable

        override init() {
            let shared = Variable(Tensor(zeros: [3]), requiresGrad: true)
            tiedA = shared
            tiedB = shared
            super.init()
        }
    }

    func testNamedParametersFollowDeclarationOrderWithDottedNames() {
        let network = Network()
        // A module's own parameters come first (superclass properties first), then those
        // of its children, in declaration order (PyTorch's order).
        XCTAssertEqual(network.namedParameters().map(\.name), [
            "frozen", "list.0", "tiedA",
            "blocks.0.weight", "blocks.0.bias",
            "blocks.1.weight",
            "optional.weight", "optional.bias",
            "head.weight", "head.bias",
        ])
        XCTAssertEqual(network.parameters().count, 9, "the frozen parameter is not trainable")
        XCTAssertEqual(network.namedBuffers().map(\.name), [
            "blocks.0.statistics", "blocks.1.statistics", "optional.statistics",
            "head.statistics",
        ])
        XCTAssertEqual(network.namedModules().map(\.name),
                       ["", "blocks.0", "blocks.1", "optional", "head"])
        XCTAssertEqual(network.trainableParameterCount, 2 + 1 + 4 + 6 + 3 + 8 + 4 + 1 + 3)
    }

    func testTrainEvalRecursesAndDropsCaches() {
        let network = Network()
        XCTAssertTrue(network.isTraining)
        network.eval()
        for (name, module) in network.namedModules() {
            XCTAssertFalse(module.isTraining, name)
        }
        XCTAssertNil(network.head._cache)
        XCTAssertEqual(network.head.cacheDrops, 1)
        network.train()
        XCTAssertTrue(network.blocks[1].isTraining)
        XCTAssertEqual(network.head.cacheDrops, 2)
    }

    func testZeroGradientsClearsEveryParameter() {
        let network = Network()
        for parameter in network.parameters() { parameter.grad = Tensor(zeros: parameter.shape) }
        network.zeroGradients()
        XCTAssertTrue(network.parameters().allSatisfy { $0.grad == nil })
    }

    func testStateDictionaryRoundTripThroughAFile() throws {
        let source = Network()
        for (index, (_, parameter)) in source.namedParameters().enumerated() {
            parameter.value = Tensor(shape: parameter.shape) { Float($0 + 10 * index) }
        }
        source.head.statistics.value = Tensor(shape: [2], storage: [0.5, 2])
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("module-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try source.save(to: url, metadata: ["architecture": "Network"])

        let target = Network()
        let dropsBefore = target.head.cacheDrops
        let metadata = try target.load(from: url)
        XCTAssertEqual(metadata, ["architecture": "Network"])
        XCTAssertEqual(target.stateDictionary(), source.stateDictionary())
        XCTAssertEqual(target.head.cacheDrops, dropsBefore + 1, "loading must drop caches")
    }

    func testLoadReportsEveryMismatchInOneErrorAndChangesNothing() {
        let network = Network()
        var state = network.stateDictionary()
        state["head.bias"] = nil
        state["blocks.1.statistics"] = nil
        state["extra.weight"] = Tensor(zeros: [1])
        state["blocks.0.weight"] = Tensor(zeros: [5, 5])
        state["optional.weight"] = Tensor(shape: [3, 2]) { _ in 99 }
        XCTAssertThrowsError(try network.load(stateDictionary: state)) { error in
            guard let mismatch = error as? StateDictionaryError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(mismatch.missing, ["blocks.1.statistics", "head.bias"])
            XCTAssertEqual(mismatch.unexpected, ["extra.weight"])
            XCTAssertEqual(mismatch.wrongShapes,
                           [.init(name: "blocks.0.weight", expected: [1, 2], found: [5, 5])])
            let text = "\(mismatch)"
            for name in ["blocks.1.statistics", "head.bias", "extra.weight", "blocks.0.weight"] {
                XCTAssertTrue(text.contains(name), "\(name) missing from: \(text)")
            }
        }
        XCTAssertNotEqual(network.optional?.weight.value.storage.first, 99,
                          "a failed load must not change any tensor")
    }
}
