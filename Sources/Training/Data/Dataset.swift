import Foundation
import ImageCodecs
import ModelRuntime
import SafeFiles
import StrictJSON
import TensorCore

/// One case of a dataset: where its scan is and what it is labelled.
public struct DataCase: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// Index into the class names.
        case classIndex(Int)
        /// Path of the label map (segmentation).
        case labelMap(String)
        /// No label: orientation data are taken to be upright.
        case upright
    }

    public var image: String
    public var target: Target

    public init(image: String, target: Target) {
        self.image = image
        self.target = target
    }
}

/// The cases of one split plus the names of its classes or labels. Only paths are held; scans
/// are read when a case is loaded (see `CaseLoader`).
public struct DatasetIndex: Sendable, Equatable {
    public var cases: [DataCase]
    /// Class names (classification) or label names (segmentation); empty for orientation.
    public var classNames: [String]

    public init(cases: [DataCase], classNames: [String]) {
        self.cases = cases
        self.classNames = classNames
    }

    /// File extensions read as scans.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "tif", "tiff"]

    /// Visible image files directly inside `folder`, sorted by name.
    public static func imageFiles(in folder: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw DataError(.missing, file: folder, "cannot list the folder (does it exist?)")
        }
        return names.filter { !$0.hasPrefix(".") && imageExtensions.contains(
            ($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// Classification set laid out as `root/<class>/<image>`. `classes` fixes the order (and
    /// must all exist); empty means every subfolder, sorted by name.
    public static func classificationFolders(root: String, classes: [String]) throws
        -> DatasetIndex {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder),
              isFolder.boolValue else {
            throw DataError(.missing, file: root, "no such folder")
        }
        let subfolders = try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { name in
                var dir: ObjCBool = false
                let path = (root as NSString).appendingPathComponent(name)
                return !name.hasPrefix(".")
                    && FileManager.default.fileExists(atPath: path, isDirectory: &dir)
                    && dir.boolValue
            }.sorted()
        let names = classes.isEmpty ? subfolders : classes
        for name in names where !subfolders.contains(name) {
            throw DataError(.missing, file: (root as NSString).appendingPathComponent(name),
                            "class folder \"\(name)\" is missing")
        }
        for name in subfolders where !names.contains(name) {
            throw DataError(.unknownLabel, file: (root as NSString).appendingPathComponent(name),
                            "folder is not one of the configured classes "
                            + names.joined(separator: ", "))
        }
        var cases: [DataCase] = []
        for (index, name) in names.enumerated() {
            let files = try imageFiles(in: (root as NSString).appendingPathComponent(name))
            cases += files.map { DataCase(image: $0, target: .classIndex(index)) }
        }
        guard !cases.isEmpty else { throw DataError(.empty, file: root, "no images found") }
        return DatasetIndex(cases: cases, classNames: names)
    }

    /// Classification set from a CSV whose header names a `path` (or `file`) column and a
    /// `label` column; paths are relative to the CSV's folder. Quoted fields are not supported.
    public static func classificationCSV(file: String, classes: [String]) throws
        -> DatasetIndex {
        guard let data = FileManager.default.contents(atPath: file),
              let text = String(data: data, encoding: .utf8) else {
            throw DataError(.missing, file: file, "cannot read the CSV file")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first else { throw DataError(.empty, file: file, "empty CSV") }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let pathColumn = columns.firstIndex(of: "path") ?? columns.firstIndex(of: "file"),
              let labelColumn = columns.firstIndex(of: "label") else {
            throw DataError(.badTable, file: file, "the header must name a \"path\" (or \"file\") "
                            + "and a \"label\" column, got \"\(header)\"")
        }
        let folder = (file as NSString).deletingLastPathComponent
        var rows: [(String, String)] = []
        for (number, line) in lines.enumerated().dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == columns.count else {
                throw DataError(.badTable, file: file, "line \(number + 1) has \(fields.count) "
                                + "fields, the header has \(columns.count)")
            }
            let path = fields[pathColumn]
            rows.append((path.hasPrefix("/") ? path
                         : (folder as NSString).appendingPathComponent(path), fields[labelColumn]))
        }
        let names = classes.isEmpty ? Array(Set(rows.map(\.1))).sorted() : classes
        var cases: [DataCase] = []
        for (path, label) in rows {
            guard let index = names.firstIndex(of: label) else {
                throw DataError(.unknownLabel, file: file, "label \"\(label)\" of \(path) is not "
                                + "one of the configured classes " + names.joined(separator: ", "))
            }
            cases.append(DataCase(image: path, target: .classIndex(index)))
        }
        guard !cases.isEmpty else { throw DataError(.empty, file: file, "no rows") }
        return DatasetIndex(cases: cases, classNames: names)
    }

    /// Segmentation set: `root/images/X` paired with `root/labels/X` (same file name, or the
    /// same stem with any image extension).
    public static func segmentation(root: String, labelNames: [String]) throws -> DatasetIndex {
        let images = try imageFiles(in: (root as NSString).appendingPathComponent("images"))
        let labelFolder = (root as NSString).appendingPathComponent("labels")
        let labels = try imageFiles(in: labelFolder)
        var byStem: [String: String] = [:]
        for label in labels {
            let name = (label as NSString).lastPathComponent
            byStem[(name as NSString).deletingPathExtension] = label
        }
        var cases: [DataCase] = []
        for image in images {
            let name = (image as NSString).lastPathComponent
            let same = (labelFolder as NSString).appendingPathComponent(name)
            let stem = (name as NSString).deletingPathExtension
            guard let label = labels.contains(same) ? same : byStem[stem] else {
                throw DataError(.mismatch, file: image, "no label map labels/\(name)")
            }
            cases.append(DataCase(image: image, target: .labelMap(label)))
        }
        guard !cases.isEmpty else {
            throw DataError(.empty, file: root, "no images in images/")
        }
        return DatasetIndex(cases: cases, classNames: labelNames)
    }

    /// Orientation set: every image in the given folders, plus the given files.
    public static func orientation(sources: [String]) throws -> DatasetIndex {
        var cases: [DataCase] = []
        for source in sources {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else {
                throw DataError(.missing, file: source, "no such file or folder")
            }
            let files = isFolder.boolValue ? try imageFiles(in: source) : [source]
            cases += files.map { DataCase(image: $0, target: .upright) }
        }
        guard !cases.isEmpty else {
            throw DataError(.empty, file: sources.joined(separator: ", "), "no images found")
        }
        return DatasetIndex(cases: cases, classNames: [])
    }

    /// Cases per class index (classification).
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for c in cases { if case .classIndex(let k) = c.target { counts[k] += 1 } }
        return counts
    }
}
