import Foundation

/// One case of a run: a scan file and the id its results are filed under.
public struct CaseSource: Sendable, Equatable {
    /// The input path relative to its input folder, without the extension (`RBC/cell_03`);
    /// with several input folders, prefixed by the folder's name. Results and written files
    /// are named after it, so they mirror the input tree.
    public var id: String
    /// The scan file, as found (the input folder joined with the relative path).
    public var path: String
}

/// Why a run cannot start from its inputs.
public struct CaseDiscoveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// An input path does not exist or cannot be listed.
        case missingInput
        /// Two files map to one case id.
        case collision
    }

    public var kind: Kind
    public var message: String

    public var description: String { message }
}

/// Finds the cases of a run in its inputs: files as given, folders searched recursively for
/// files that match `inputs.include` and none of `inputs.exclude`.
///
/// Hidden names (a leading `.`, which also covers EquiScan's own temporary files and the
/// `.equiscan` ledger folder) are skipped, symlinked folders are not entered, and nothing under
/// `skipping` (the run's output folder, when it lies inside an input folder) is taken. Cases
/// come out sorted by id, so every run and every shard sees the same order.
public enum CaseDiscovery {
    public static func discover(inputs: [String], selection: InputSelection,
                                skipping excluded: String? = nil) throws -> [CaseSource] {
        let filter = CaseFilter(selection)
        let skipped = excluded.map(canonical)
        // Inputs are grouped by the folder their ids are relative to; with more than one such
        // folder, ids start with the folder's name so that equal relative paths stay apart.
        var found: [(root: String, relative: String, path: String)] = []
        var roots = Set<String>()
        for input in inputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isFolder) else {
                throw CaseDiscoveryError(kind: .missingInput,
                                         message: "\(input): no such file or folder")
            }
            if isFolder.boolValue {
                let root = canonical(input)
                roots.insert(root)
                for relative in try walk(input, skipping: skipped)
                    where filter.selects(relative) {
                    found.append((root, relative,
                                  (input as NSString).appendingPathComponent(relative)))
                }
            } else {
                let parent = (input as NSString).deletingLastPathComponent
                let root = canonical(parent.isEmpty ? "." : parent)
                roots.insert(root)
                found.append((root, (input as NSString).lastPathComponent, input))
            }
        }
        let prefixed = roots.count > 1
        var cases: [CaseSource] = []
        var pathByID: [String: String] = [:]
        for file in found {
            var id = caseID(relativePath: file.relative)
            if prefixed { id = (file.root as NSString).lastPathComponent + "/" + id }
            if let other = pathByID[id] {
                if canonical(other) == canonical(file.path) { continue }  // named twice
                throw CaseDiscoveryError(
                    kind: .collision,
                    message: "\(other) and \(file.path) are both case \"\(id)\" (results are "
                        + "named after the path without its extension); rename one, or narrow "
                        + "inputs.include in the pipeline")
            }
            pathByID[id] = file.path
            cases.append(CaseSource(id: id, path: file.path))
        }
        return cases.sorted { $0.id < $1.id }
    }

    /// The id of the case whose file lies at `relativePath` in its input folder: the path
    /// without its extension (`RBC/cell_03.png` is `RBC/cell_03`).
    public static func caseID(relativePath: String) -> String {
        (relativePath as NSString).deletingPathExtension
    }

    /// Relative paths of the files under `folder`, depth first: regular files and symlinks to
    /// them; hidden names, symlinked folders and `skipped` (a canonical path) are not entered.
    public static func walk(_ folder: String, skipping skipped: String?) throws -> [String] {
        var files: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let directory = relative.isEmpty ? folder
                : (folder as NSString).appendingPathComponent(relative)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw CaseDiscoveryError(kind: .missingInput,
                                         message: "\(directory): cannot list the folder")
            }
            for name in names where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                let path = (folder as NSString).appendingPathComponent(child)
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    if let skipped, canonical(path) == skipped { continue }
                    pending.append(child)
                case S_IFREG:
                    files.append(child)
                case S_IFLNK:
                    var target = stat()
                    if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG {
                        files.append(child)
                    }
                default:
                    continue
                }
            }
        }
        return files
    }

    /// The absolute, symlink-free form of `path`, for comparing folders.
    public static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// The `inputs.include` and `inputs.exclude` globs of a pipeline, parsed once.
public struct CaseFilter: Sendable {
    private let include: [GlobPattern]
    private let exclude: [GlobPattern]

    public init(_ selection: InputSelection) {
        include = selection.include.map(GlobPattern.init)
        exclude = selection.exclude.map(GlobPattern.init)
    }

    /// Whether the file at `relativePath` (from its input folder) is a case: it matches an
    /// include pattern and no exclude pattern.
    public func selects(_ relativePath: String) -> Bool {
        include.contains { $0.matches(relativePath) }
            && !exclude.contains { $0.matches(relativePath) }
    }
}
