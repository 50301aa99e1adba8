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
    /// The source the scan came from, as the data says (a `groups.csv` beside the scans or a
    /// `group` column of a classification CSV): the volume of a slice, the series of a frame,
    /// the slide of a crop. Cases of one source always land in the same part of a split.
    public var source: String?

    public init(image: String, target: Target, source: String? = nil) {
        self.image = image
        self.target = target
        self.source = source
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
    /// `label` column, and optionally a `group` (or `source`) column with each scan's source
    /// id; paths are relative to the CSV's folder. Quoted fields are not supported.
    public static func classificationCSV(file: String, classes: [String]) throws
        -> DatasetIndex {
        let table = try PathTable(file: file, valueColumns: ["label"],
                                  optionalColumns: ["group", "source"])
        let rows = table.rows.map { (path: $0.path, label: $0.values[0] ?? "",
                                     source: $0.values[1] ?? $0.values[2]) }
        let names = classes.isEmpty ? Array(Set(rows.map(\.label))).sorted() : classes
        var cases: [DataCase] = []
        for (path, label, source) in rows {
            guard let index = names.firstIndex(of: label) else {
                throw DataError(.unknownLabel, file: file, "label \"\(label)\" of \(path) is not "
                                + "one of the configured classes " + names.joined(separator: ", "))
            }
            cases.append(DataCase(image: path, target: .classIndex(index), source: source))
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
