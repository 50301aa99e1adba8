import Canonicalization
import Foundation
import NeuralNet
import StrictJSON
import TensorCore

/// The one way a model is loaded for inference, whatever was named on the command line.
///
/// - A package folder: `metadata.json` is read and validated, and every weight file it names is
///   checked against its SHA-256 before use (`ModelPackage.load`).
/// - A weight file inside a package folder (beside a `metadata.json` that names it): loaded as
///   that package, so it is verified the same way.
/// - A bare `.safetensors` canonicalizer file: nothing records its digest, so only its
///   structure and values are checked.
///
/// In every case each weight must be a finite number: a file of 0xFF bytes (NaN weights) is
/// refused here instead of producing NaN scores later.
public enum ModelLoader {
    /// The canonicalizer at `path`: a canonicalizer package, the canonicalizer of a
    /// canonicalizer + predictor package, or a bare canonicalizer weight file.
    public static func canonicalizer(at path: String) throws -> DiscreteCanonicalizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.missing, file: path, "no such model file or folder")
        }
        if let folder = isDirectory.boolValue ? path : packageFolder(holding: path) {
            let package = try ModelPackage.load(folder)
            if !isDirectory.boolValue {
                let name = (path as NSString).lastPathComponent
                let named = [package.metadata.weights.file, package.metadata.canonicalizer?.file]
                guard named.contains(name) else {
                    throw DataError(.mismatch, file: path, "sits in the model package \(folder) "
                                    + "but its metadata.json does not name it; give the "
                                    + "package folder")
                }
            }
            switch package.model {
            case .canonicalizer(let canonicalizer):
                return canonicalizer
            case .canonicalized(let predictor):
                return predictor.canonicalizer
            case .classifier, .segmenter:
                throw DataError(.mismatch, file: folder, "holds a \(package.metadata.architecture)"
                                + ", not a canonicalizer; canonicalize needs an orientation "
                                + "model package")
            }
        }
        let canonicalizer: DiscreteCanonicalizer
        do {
            canonicalizer = try DiscreteCanonicalizer.load(from: URL(fileURLWithPath: path))
        } catch let error as CanonicalizationError {
            throw DataError(.mismatch, file: path, error.message)
        } catch let error as SafeTensorsError {
            throw DataError(.mismatch, file: path, error.message)
        }
        try checkFinite(canonicalizer, file: path)
        return canonicalizer
    }

    /// The package folder whose `metadata.json` names the weight file `path`, if any.
    static func packageFolder(holding path: String) -> String? {
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        let metadata = (folder as NSString).appendingPathComponent(ModelPackage.metadataFile)
        return FileManager.default.fileExists(atPath: metadata) ? folder : nil
    }

    /// Throws when a weight of `module` is NaN or infinite.
    static func checkFinite(_ module: Module, file: String) throws {
        for (name, tensor) in module.stateDictionary().sorted(by: { $0.key < $1.key })
            where !tensor.storage.allSatisfy(\.isFinite) {
            throw DataError(.mismatch, file: file, "weight \(name) holds NaN or infinite "
                            + "values: the file is damaged; restore it from the model's source")
        }
    }
}
