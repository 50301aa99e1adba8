import Foundation
import SafeFiles

/// One case of a run: a scan file and the id its results are filed under.
public struct CaseSource: Sendable, Equatable {
    /// The input path relative to its input folder, without the extension (`RBC/cell_03`);
    /// with several input folders, prefixed by the folder's name. Results and written files
    /// are named after it, so they mirror the input tree.
    public var id: String
    /// The scan file, as found (the input folder joined with the relative path); the first
    /// channel's file under nnU-Net naming.
    public var path: String
    /// Under nnU-Net naming, every channel's file in channel order (`path` first); empty for
    /// one-file cases.
    public var channelFiles: [String] = []
    /// Why the case cannot be read as named (a gap in nnU-Net channel numbers, a file that
    /// does not follow the naming); the case is recorded as failed with it.
    public var problem: String?
    /// The input folder the case was found in (absolute, symlink-free): no file outside it is
    /// read for the case, whatever symlinks say. Nil for cases made by callers that vouch for
    /// their paths.
    public var root: String?

    public init(id: String, path: String, channelFiles: [String] = [], problem: String? = nil,
                root: String? = nil) {
        self.id = id
        self.path = path
        self.channelFiles = channelFiles
        self.problem = problem
        self.root = root
    }

    /// The files the case reads, in channel order.
    public var files: [String] { channelFiles.isEmpty ? [path] : channelFiles }
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
        var found: [(root: String, relative: String, path: String, problem: String?)] = []
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
                for (relative, problem) in try walk(input, root: root, skipping: skipped)
                    where filter.selects(relative) {
                    found.append((root, relative,
                                  (input as NSString).appendingPathComponent(relative), problem))
                }
            } else {
                let parent = (input as NSString).deletingLastPathComponent
                let root = canonical(parent.isEmpty ? "." : parent)
                roots.insert(root)
                let problem: String?
                do {
                    _ = try readablePath(input, root: root)
                    problem = nil
                } catch {
                    problem = String(describing: error)
                }
                found.append((root, (input as NSString).lastPathComponent, input, problem))
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
            cases.append(CaseSource(id: id, path: file.path, problem: file.problem,
                                    root: file.root))
        }
        if selection.naming == .nnunet { cases = groupChannels(cases) }
        return cases.sorted { $0.id < $1.id }
    }

    /// The id of the case whose file lies at `relativePath` in its input folder: the path
    /// without its extension (`RBC/cell_03.png` is `RBC/cell_03`).
    public static func caseID(relativePath: String) -> String {
        (relativePath as NSString).deletingPathExtension
    }

    /// Relative paths of the files under `folder` that can be read as cases (regular files,
    /// and symlinks to regular files inside `folder`), depth first; hidden names, symlinked
    /// folders and `skipped` (a canonical path) are not entered, and special files, loops and
    /// symlinks out of the folder are left out.
    public static func walk(_ folder: String, skipping skipped: String?) throws -> [String] {
        try walk(folder, root: canonical(folder), skipping: skipped)
            .compactMap { $0.1 == nil ? $0.0 : nil }
    }

    /// nnU-Net naming: files `CASE_0000`, `CASE_0001`, … (ids without extension) become one
    /// case CASE with the files as channels in index order. A file whose id does not end in
    /// `_` and four digits, or a case whose indices do not run 0000, 0001, … without a gap,
    /// becomes a case that fails with the reason.
    static func groupChannels(_ files: [CaseSource]) -> [CaseSource] {
        var channels: [String: [(index: Int, file: CaseSource)]] = [:]
        var cases: [CaseSource] = []
        for file in files {
            let id = file.id
            let suffix = id.suffix(5)
            guard suffix.count == 5, suffix.first == "_",
                  let index = Int(suffix.dropFirst()),
                  suffix.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
            else {
                cases.append(CaseSource(id: id, path: file.path, problem: file.problem
                                        ?? "\(file.path): the name does not follow nnU-Net's "
                                        + "CASE_0000 channel naming (inputs.naming is "
                                        + "\"nnunet\")", root: file.root))
                continue
            }
            channels[String(id.dropLast(5)), default: []].append((index, file))
        }
        for (id, files) in channels {
            let sorted = files.sorted { $0.index < $1.index }
            let paths = sorted.map(\.file.path)
            var source = CaseSource(id: id, path: paths[0], channelFiles: paths,
                                    problem: sorted.lazy.compactMap(\.file.problem).first,
                                    root: sorted[0].file.root)
            if source.problem == nil,
               let gap = sorted.indices.first(where: { sorted[$0].index != $0 }) {
                source.problem = "\(paths[0]): case \(id) has no channel "
                    + String(format: "%04d", gap) + " (its channel files are "
                    + sorted.map { String(format: "%04d", $0.index) }.joined(separator: ", ")
                    + "; nnU-Net numbers them from 0000 without gaps)"
            }
            cases.append(source)
        }
        return cases
    }

    /// The files under `folder` (relative paths), depth first, each with the reason it cannot
    /// be read, if any: special files (FIFOs, sockets, devices) are never opened, symlinks to
    /// files are followed only when their target lies inside `root`, symlinked folders are not
    /// entered, and a symlink loop is reported, not followed.
    static func walk(_ folder: String, root: String,
                     skipping skipped: String?) throws -> [(String, String?)] {
        var files: [(String, String?)] = []
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
                case S_IFLNK where isFolder(path):
                    continue  // symlinked folders are not entered
                default:
                    files.append((child, problem(at: path, root: root)))
                }
            }
        }
        return files
    }

    /// Why the file at `path` cannot be read as a case, or nil when it can (or is gone, which
    /// the read reports): special files (FIFOs, sockets, devices) are never opened, and a
    /// symlink is followed only to a regular file inside `root`.
    public static func problem(at path: String, root: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return nil
        case S_IFLNK:
            do {
                _ = try readablePath(path, root: root)
                return nil
            } catch {
                return String(describing: error)
            }
        default:
            return "\(path): is " + InputFile.kindDescription(mode: info.st_mode)
                + ", not a regular file; skipped without opening it"
        }
    }

    /// Whether `path` leads to a folder (following symlinks).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The path to open for reading `path`: itself, or for a symlink its target, which must be
    /// a regular file inside `root` (the input folder). Throws a `CaseDiscoveryError` naming
    /// the file and why it is not read (a symlink to outside the input folder, a loop, a
    /// dangling link).
    public static func readablePath(_ path: String, root: String?) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw CaseDiscoveryError(kind: .missingInput, message: "\(path): cannot be read "
                                     + "(missing or no permission)")
        }
        guard info.st_mode & S_IFMT == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            let reason = errno == ELOOP ? "is a symlink loop" : "is a symlink to nothing"
            throw CaseDiscoveryError(kind: .missingInput, message: "\(path): \(reason); not "
                                     + "followed")
        }
        let target = String(cString: resolved)
        free(resolved)
        if let root, target != root, !target.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            throw CaseDiscoveryError(kind: .missingInput, message: "\(path): symlink to outside "
                                     + "the input folder; not followed")
        }
        var targetInfo = stat()
        guard lstat(target, &targetInfo) == 0, targetInfo.st_mode & S_IFMT == S_IFREG else {
            throw CaseDiscoveryError(kind: .missingInput, message: "\(path): is a symlink to "
                                     + InputFile.kindDescription(mode: targetInfo.st_mode)
                                     + ", not a regular file; not followed")
        }
        return target
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
