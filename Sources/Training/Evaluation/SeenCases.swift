import Foundation
import ImageCodecs
import ModelRuntime

/// A scan offered to `equiscan evaluate` that the model trained or validated on.
public struct SeenCase: Codable, Sendable, Equatable {
    /// The evaluated file.
    public var file: String
    /// The part of the package's data it belongs to: training or validation.
    public var part: PackageCaseList.Part
    /// The path the package's case list records (relative to the data root of training).
    public var listed: String
    /// How it was recognised: "sha256" (same content, under any name) or "path" (same path
    /// below the data root, for old lists without hashes).
    public var matchedBy: String
}

extension Evaluator {
    /// The scans among `files` that `package` lists as training or validation cases
    /// (`PackageCaseList`). A listed SHA-256 identifies a file by content, so a copy under
    /// another name is recognised; an entry without one (old packages) matches a file whose
    /// path, links resolved, ends with the listed path. Files that cannot be read are left to
    /// the evaluation to report.
    public static func seenCases(_ files: [String], package: ModelPackage) throws -> [SeenCase] {
        var byDigest: [String: (PackageCaseList.Part, String)] = [:]
        var byPath: [(PackageCaseList.Part, String)] = []
        for part in [PackageCaseList.Part.training, .validation] {
            for entry in try PackageCaseList.load(part, package: package.folder)?.entries ?? [] {
                if let digest = entry.sha256 {
                    byDigest[digest] = byDigest[digest] ?? (part, entry.path)
                } else {
                    byPath.append((part, entry.path))
                }
            }
        }
        guard !byDigest.isEmpty || !byPath.isEmpty else { return [] }
        return files.compactMap { file in
            if !byDigest.isEmpty, let digest = try? ContentHash.hex(fileAt: file),
               let (part, listed) = byDigest[digest] {
                return SeenCase(file: file, part: part, listed: listed, matchedBy: "sha256")
            }
            let resolved = "/" + URL(fileURLWithPath: file).resolvingSymlinksInPath().path
                .split(separator: "/").joined(separator: "/")
            for (part, listed) in byPath {
                let tail = "/" + listed.split(separator: "/").joined(separator: "/")
                if resolved == tail || resolved.hasSuffix(tail) {
                    return SeenCase(file: file, part: part, listed: listed, matchedBy: "path")
                }
            }
            return nil
        }
    }

    /// The seen cases among `files`; throws for the first unless `allowSeen`, naming the
    /// model, the file and the list it is in.
    static func checkUnseen(_ files: [String], package: ModelPackage,
                            allowSeen: Bool) throws -> [SeenCase] {
        let seen = try seenCases(files, package: package)
        guard let first = seen.first, !allowSeen else { return seen }
        let list = (package.folder as NSString).appendingPathComponent(first.part.fileName)
        let how = first.matchedBy == "sha256" ? "same SHA-256" : "same path"
        throw DataError(.seenCase, file: first.file, "is a \(first.part.rawValue) case of model "
                        + "\(package.metadata.name) (\(first.listed) in \(list), \(how); "
                        + "\(seen.count) of the \(files.count) scans are): its figures would not "
                        + "be a test result; evaluate on the model's test cases, or pass "
                        + "--allow-seen to report anyway")
    }
}
