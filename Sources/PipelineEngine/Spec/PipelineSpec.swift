import Reports
import StrictJSON

/// A pipeline file as written, after parsing and type checks but before references and
/// models are resolved (`PipelineValidation` does that).
///
/// Layout of a file (pipelines/README.md documents every key):
/// `{"$schema", "version": 1, "name", "description", "inputs": {"include", "exclude"},
/// "stages": [{"op", "id", "input": "@id", …parameters}], "outputs": {"layout", "formats"},
/// "report": {…}}`.
public struct PipelineSpec: Sendable {
    /// The only format version this build reads.
    public static let currentVersion = 1

    /// Editors' JSON Schema reference; not used for validation.
    public var schema: String?
    public var version: Int
    public var name: String
    public var description: String
    public var inputs: InputSelection
    /// The stages in the order they run.
    public var stages: [StageSpec]
    public var outputs: OutputSpec
    /// Seconds a case may take before it fails as timed out; nil: no limit.
    public var caseTimeoutSeconds: Double? = nil
    /// Report settings and the orbit check (`ReportSettings.defaults` without `report`).
    public var report: ReportSettings
}

/// Which files of an input folder are cases: glob patterns relative to the folder.
public struct InputSelection: Sendable, Equatable {
    /// The scan formats EquiScan decodes, searched recursively: the default of `include`.
    public static let defaultInclude = ["**/*.png", "**/*.jpg", "**/*.jpeg", "**/*.tif",
                                        "**/*.tiff"]

    /// How files map to cases.
    public enum Naming: String, Sendable, CaseIterable {
        /// One file, one case.
        case plain
        /// nnU-Net's multi-channel naming: `CASE_0000.png`, `CASE_0001.png`, … are the
        /// channels of case CASE, in the order of their four-digit index.
        case nnunet
    }

    public var include: [String]
    public var exclude: [String]
    public var naming: Naming

    public init(include: [String], exclude: [String], naming: Naming = .plain) {
        self.include = include
        self.exclude = exclude
        self.naming = naming
    }
}

/// How a run lays out what it writes.
public struct OutputSpec: Sendable, Equatable {
    /// Where written files go under the output folder.
    public enum Layout: String, Sendable, CaseIterable {
        /// The input folder tree is repeated under the output folder (the default: names
        /// never collide).
        case mirror
        /// All files side by side, named after the case id.
        case flat
    }

    /// Formats of the per-case result records. Deprecated: every run writes its records as
    /// JSON (`results/CASE.json`, which resumes and reports read) and the one CSV table,
    /// `reports/predictions.csv`; `formats` is still read and checked, so files that give it
    /// stay valid, and `equiscan validate` notes that it is ignored.
    public enum RecordFormat: String, Sendable, CaseIterable {
        case json
        case csv
    }

    /// What a file gets for `outputs` and for each of its absent keys: the mirrored tree
    /// and JSON records.
    public static let defaults = OutputSpec(layout: .mirror, formats: [.json])

    public var layout: Layout
    /// Deprecated and ignored (see `RecordFormat`).
    public var formats: [RecordFormat]
}

/// One stage as written: its op, optional id and input reference, and checked parameters.
public struct StageSpec: Sendable {
    /// Position in `stages`, from 0.
    public var index: Int
    public var op: StageOp
    /// The name other stages use to refer to this one (`"input": "@id"`).
    public var id: String?
    /// The id (without `@`) of the stage whose output this one takes; nil for the
    /// previous stage's output.
    public var input: String?
    /// Parameter values by key; absent keys with a default hold the default.
    public var parameters: [String: StageValue]
    /// The stage object in its document, for the positions of later problems.
    public var node: ConfigNode

    /// The value of a string parameter (`colour`, `what`), when set or defaulted.
    public func string(_ key: String) -> String? {
        if case .string(let value)? = parameters[key] { return value }
        return nil
    }

    /// The member `key` of the stage object, for problems about it; nil when absent.
    public func member(_ key: String) -> ConfigNode? {
        // Keys were checked when the stage was parsed; none are rejected here.
        var ignored: [ConfigError] = []
        return (try? node.object(keys: [], collecting: &ignored))?.optional(key)
    }

    /// The model path as written in the file, for model stages.
    public var modelReference: String? {
        if case .model(let path)? = parameters["model"] { return path }
        return nil
    }
}
