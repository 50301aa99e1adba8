import Foundation
import ModelRuntime
import StrictJSON

/// The outcome of validating a pipeline file: parse → resolve → validate, without running a
/// stage or reading a scan.
///
/// Every problem is collected, not just the first, and `problems` is sorted by position in
/// the file; each prints as `FILE:LINE:COL /json/pointer message`. A syntax error stops at
/// the parser (the rest of the text has no structure to check).
public struct PipelineValidation: Sendable {
    /// The pipeline file, as named by the caller.
    public let file: String?
    /// The resolved plan; nil when there are problems.
    public let plan: PipelinePlan?
    /// Everything wrong with the file, in position order.
    public let problems: [ConfigError]
    /// Keys that are valid but deprecated and ignored, in position order: worth a note, not
    /// a failure.
    public var notices: [ConfigError] = []

    public var isValid: Bool { problems.isEmpty }

    /// Reads and validates a pipeline file; model paths are relative to its folder.
    ///
    /// Throws a `ConfigError` with `isUnreadableFile` set when the file cannot be read;
    /// problems in the file are returned, not thrown.
    public static func validate(path: String) throws -> PipelineValidation {
        guard let data = FileManager.default.contents(atPath: path) else {
            var error = ConfigError(path: .root, message: "cannot read the pipeline file "
                                    + "(check that the path exists and is a readable file)",
                                    file: path)
            error.isUnreadableFile = true
            throw error
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return PipelineValidation(file: path, plan: nil, problems: [
                ConfigError(path: .root, message: "the pipeline file is not UTF-8 text",
                            file: path),
            ])
        }
        let folder = (path as NSString).deletingLastPathComponent
        return validate(text: text, file: path, baseFolder: folder.isEmpty ? "." : folder)
    }

    /// Validates pipeline text; `baseFolder` is where relative model paths start.
    public static func validate(text: String, file: String?,
                                baseFolder: String) -> PipelineValidation {
        let root: ConfigNode
        do {
            root = try ConfigNode.parse(text, file: file)
        } catch {
            let problem = error as? ConfigError
                ?? ConfigError(path: .root, message: "cannot be parsed as JSON", file: file)
            return PipelineValidation(file: file, plan: nil, problems: [problem])
        }
        var problems: [ConfigError] = []
        let notices = PipelineSpec.deprecations(root)
        guard let spec = PipelineSpec.parse(root, problems: &problems) else {
            return PipelineValidation(file: file, plan: nil, problems: sorted(problems),
                                      notices: notices)
        }
        var resolver = PipelineResolver(spec: spec, baseFolder: baseFolder)
        let stages = resolver.resolve()
        problems += resolver.problems
        guard problems.isEmpty else {
            return PipelineValidation(file: file, plan: nil, problems: sorted(problems),
                                      notices: notices)
        }
        var plan = PipelinePlan(spec: spec, stages: stages)
        plan.document = root.value
        return PipelineValidation(file: file, plan: plan, problems: [], notices: notices)
    }

    /// Problems by line and column (errors without a position last), keeping the order found
    /// for ties (missing keys of one object share its position and stay in parameter order).
    static func sorted(_ problems: [ConfigError]) -> [ConfigError] {
        problems.enumerated().sorted { lhs, rhs in
            let left = lhs.element.position, right = rhs.element.position
            if left != right {
                guard let left else { return false }
                guard let right else { return true }
                return left < right
            }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
