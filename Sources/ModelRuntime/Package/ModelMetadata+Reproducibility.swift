import Foundation
import StrictJSON
import TensorCore

extension ModelMetadata {
    /// Everything besides the config and the data that changes the bits of a trained
    /// package, recorded at the end of training: a rebuild on another machine reproduces the
    /// weights only when all of it is the same.
    public struct Reproducibility: Codable, Sendable, Equatable {
        /// The config's seed (of initial weights, split, shuffling and augmentation).
        public var seed: UInt64
        /// The code the model was trained with: `EQUISCAN_CODE_REVISION` as `make models` and
        /// `scripts/train-sample-models.sh` set it (`git describe --always --dirty`);
        /// "unknown" when unset.
        public var codeRevision: String
        /// Threads, BLAS library and core type, convolution engine and oneDNN ISA.
        public var compute: ComputeEnvironment

        public init(seed: UInt64, codeRevision: String, compute: ComputeEnvironment) {
            self.seed = seed
            self.codeRevision = codeRevision
            self.compute = compute
        }

        /// The environment variable that carries the code revision.
        public static let codeRevisionVariable = "EQUISCAN_CODE_REVISION"

        /// This process's record for a run with `seed`.
        public static func current(seed: UInt64) -> Reproducibility {
            let revision = ProcessInfo.processInfo.environment[codeRevisionVariable] ?? ""
            return Reproducibility(seed: seed,
                                   codeRevision: revision.isEmpty ? "unknown" : revision,
                                   compute: .current())
        }
    }
}

extension ModelMetadata.Reproducibility {
    /// The metadata form written by the synthesized `encode(to:)`.
    static func parse(_ node: ConfigNode) throws -> Self {
        let object = try node.object(keys: ["seed", "codeRevision", "compute"])
        let computeObject = try object.required("compute").object(keys: [
            "threads", "blasLibrary", "blasCoreType", "blasCoreTypeVariable",
            "convolutionEngine", "oneDNNISA",
        ])
        let compute = ComputeEnvironment(
            threads: try computeObject.required("threads").integer(atLeast: 1),
            blasLibrary: try computeObject.required("blasLibrary").string(),
            blasCoreType: try computeObject.required("blasCoreType").string(),
            blasCoreTypeVariable: try computeObject.optional("blasCoreTypeVariable")
                .map { try $0.string() },
            convolutionEngine: try computeObject.required("convolutionEngine").nonEmptyString(),
            oneDNNISA: try computeObject.optional("oneDNNISA").map { try $0.nonEmptyString() })
        return Self(seed: try object.required("seed").unsignedInteger(),
                    codeRevision: try object.required("codeRevision").nonEmptyString(),
                    compute: compute)
    }
}
