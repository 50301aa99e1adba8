import Foundation
import ModelRuntime
import TensorCore

/// The three disjoint parts of a training run's data.
///
/// Training fits the weights on `train`; `validation` picks the best epoch and drives early
/// stopping; `test` is only listed (its files are never opened by `equiscan train`), so that
/// its figures, reported once by `equiscan evaluate`, were never used for any choice.
public struct DataSplit: Sendable, Equatable {
    public var train: DatasetIndex
    public var validation: DatasetIndex
    /// Empty when the config names no test part.
    public var test: DatasetIndex

    public init(train: DatasetIndex, validation: DatasetIndex, test: DatasetIndex) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

extension DatasetIndex {
    /// Reads the parts a config names, with paths resolved against `dataRoot`. Only folders
    /// are listed (and CSV lists read); no scan is opened, test scans included.
    ///
    /// A part without sources of its own is carved out of the `train` cases by a seeded,
    /// group-aware split (`split(heldOut:groupKeys:seed:)`): the test part first
    /// (`testFraction`), then validation (`validationFraction`), each fraction a share of all
    /// `train` cases. A case's group is its source (`sourceKeys(pattern:)`): named by a
    /// `groups.csv` in a source folder, by the config's `groupPattern`, or else the case
    /// alone; with `groupBlock`, runs of that many consecutive captured numbers are one source.
    /// Parts given as folders must not share a source either.
    public static func load(_ spec: DataSpec, task: TrainingTask, dataRoot: String,
                            seed: UInt64) throws -> DataSplit {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : (dataRoot as NSString).appendingPathComponent(path)
        }
        func read(_ sources: [String]) throws -> DatasetIndex {
            switch task {
            case .classification:
                let source = resolve(sources[0])
                return spec.format == .csv
                    ? try classificationCSV(file: source, classes: spec.classes)
                    : try classificationFolders(root: source, classes: spec.classes)
            case .segmentation:
                return try segmentation(root: resolve(sources[0]),
                                        labelNames: spec.labels.map(\.name))
            case .orientation:
                return try orientation(sources: sources.map(resolve))
            }
        }
        let parts = [("train", spec.train), ("validation", spec.validation), ("test", spec.test)]
        for (key, sources) in parts {
            for (i, source) in sources.enumerated()
            where !FileManager.default.fileExists(atPath: resolve(source)) {
                throw DataError(.missing, file: resolve(source), "no such file or folder "
                                + "(data.\(key)[\(i)]); check the path or --data-root")
            }
        }
        func readWithSources(_ sources: [String]) throws -> DatasetIndex {
            var index = try read(sources)
            try index.readSourceTables(in: sources.map(resolve))
            return index
        }
        let pattern = try spec.groupPattern.map { try NSRegularExpression(pattern: $0) }
        let pool = try readWithSources(spec.train)
        func given(_ key: String, _ sources: [String]) throws -> DatasetIndex? {
            guard !sources.isEmpty else { return nil }
            let index = try readWithSources(sources)
            if task == .classification, index.classNames != pool.classNames {
                throw DataError(.mismatch, file: resolve(sources[0]),
                                "\(key) classes " + index.classNames.joined(separator: ", ")
                                + " differ from training classes "
                                + pool.classNames.joined(separator: ", "))
            }
            return index
        }
        let givenValidation = try given("validation", spec.validation)
        let givenTest = try given("test", spec.test)
        // Held-out parts carved from the pool, in this order: test, then validation.
        var fractions: [Double] = []
        if givenTest == nil, let testFraction = spec.testFraction { fractions.append(testFraction) }
        if givenValidation == nil { fractions.append(spec.validationFraction) }
        var carved = pool.split(heldOut: fractions,
                                groupKeys: pool.sourceKeys(pattern: pattern,
                                                           block: spec.groupBlock),
                                seed: seed)
        let train = carved.removeLast()
        let empty = DatasetIndex(cases: [], classNames: pool.classNames)
        let test = givenTest ?? (spec.testFraction == nil ? empty : carved.removeFirst())
        let validation = givenValidation ?? carved.removeFirst()
        let split = DataSplit(train: train, validation: validation, test: test)
        try split.checkDisjoint(pattern: pattern, block: spec.groupBlock)
        return split
    }

    /// A seeded split for a validation part, each case its own group:
    /// `split(heldOut: [validationFraction])`.
    public func split(validationFraction: Double, seed: UInt64)
        -> (train: DatasetIndex, validation: DatasetIndex) {
        let parts = split(heldOut: [validationFraction], seed: seed)
        return (parts[1], parts[0])
    }

    /// Seeded split into `fractions.count` held-out parts, each about `fractions[i]` of the
    /// cases, and the training part, last. Cases with the same `groupKeys` entry (one per
    /// case; nil = each case its own group) always land in the same part.
    ///
    /// Groups are stratified by class when cases carry class indices (a group counts for the
    /// class most of its cases have, ties to the lowest index). Within each class the groups
    /// are shuffled and each goes to the first held-out part it brings closer to its share
    /// (rounded), else to training, so a part misses its share by less than one group. Each
    /// class keeps at least one training group, and a held-out part left empty gets one random
    /// training group when there are at least two. With every case its own group and one
    /// fraction this is the per-class split of earlier versions, case for case.
    public func split(heldOut fractions: [Double], groupKeys: [String]? = nil,
                      seed: UInt64) -> [DatasetIndex] {
        precondition(fractions.allSatisfy { $0 >= 0 && $0 < 1 }
                     && fractions.reduce(0, +) < 1,
                     "held-out fractions must be in [0, 1) and sum below 1, got \(fractions)")
        precondition(groupKeys == nil || groupKeys?.count == cases.count,
                     "one group key per case: \(groupKeys?.count ?? 0) keys, "
                     + "\(cases.count) cases")
        // Groups in order of their first case.
        var groups: [[Int]] = []
        var groupOf: [String: Int] = [:]
        for i in cases.indices {
            guard let key = groupKeys?[i] else {
                groups.append([i])
                continue
            }
            if let g = groupOf[key] { groups[g].append(i) } else {
                groupOf[key] = groups.count
                groups.append([i])
            }
        }
        var strata: [Int: [Int]] = [:]
        for (g, group) in groups.enumerated() {
            var votes: [Int: Int] = [:]
            for i in group {
                if case .classIndex(let k) = cases[i].target { votes[k, default: 0] += 1 }
            }
            let top = votes.values.max() ?? 0
            let stratum = votes.keys.filter { votes[$0] == top }.min() ?? -1
            strata[stratum, default: []].append(g)
        }
        let trainingPart = fractions.count
        var part = [Int](repeating: trainingPart, count: groups.count)
        var generator = SeededGenerator(seed: seed ^ 0x5EED_5B11)
        for key in strata.keys.sorted() {
            var members = strata[key] ?? []
            generator.shuffle(&members)
            let total = members.reduce(0) { $0 + groups[$1].count }
            let targets = fractions.map { Int((Double(total) * $0).rounded()) }
            var counts = [Int](repeating: 0, count: fractions.count)
            var lastHeld: Int?
            for member in members {
                let size = groups[member].count
                guard let p = fractions.indices.first(where: {
                    abs(counts[$0] + size - targets[$0]) < abs(counts[$0] - targets[$0])
                }) else { continue }
                counts[p] += size
                part[member] = p
                lastHeld = member
            }
            if !members.contains(where: { part[$0] == trainingPart }), let lastHeld {
                part[lastHeld] = trainingPart
            }
        }
        for p in fractions.indices where fractions[p] > 0 && !part.contains(p) {
            let training = part.indices.filter { part[$0] == trainingPart }
            guard training.count > 1 else { break }
            part[training[generator.nextInt(below: training.count)]] = p
        }
        var casePart = [Int](repeating: trainingPart, count: cases.count)
        for (g, group) in groups.enumerated() {
            for i in group { casePart[i] = part[g] }
        }
        return (0...trainingPart).map { p in
            DatasetIndex(cases: cases.indices.filter { casePart[$0] == p }.map { cases[$0] },
                         classNames: classNames)
        }
    }

    /// Each case's group key: `source:<id>` for a source named by the data
    /// (`DataCase.source`) or by the first capture group of `pattern` matched against the file
    /// name, else `file:<path>` (the case alone). With `block`, a captured whole number n gives
    /// `source:#<⌊n / block⌋>` (a captured text that is no number stays as it is).
    public func sourceKeys(pattern: NSRegularExpression?, block: Int? = nil) -> [String] {
        precondition(block.map { $0 > 0 } ?? true, "a group block holds at least one number")
        return cases.map { dataCase in
            if let source = dataCase.source { return "source:" + source }
            let name = (dataCase.image as NSString).lastPathComponent
            if let pattern,
               let match = pattern.firstMatch(in: name,
                                              range: NSRange(name.startIndex..., in: name)),
               let range = Range(match.range(at: 1), in: name) {
                if let block, let number = Int(name[range]), number >= 0 {
                    return "source:#\(number / block)"
                }
                return "source:" + name[range]
            }
            return "file:" + (dataCase.image as NSString).standardizingPath
        }
    }

    /// Sets `source` from a `groups.csv` (columns `file` or `path`, and `group` or `source`;
    /// paths relative to the CSV) in any of `folders`; cases it does not list keep theirs.
    mutating func readSourceTables(in folders: [String]) throws {
        var sources: [String: String] = [:]
        for folder in folders {
            let file = (folder as NSString).appendingPathComponent(Self.sourceTableName)
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let table = try PathTable(file: file, valueColumns: [],
                                      optionalColumns: ["group", "source"])
            for row in table.rows {
                guard let source = row.values[0] ?? row.values[1], !source.isEmpty else {
                    throw DataError(.badTable, file: file, "needs a \"group\" (or \"source\") "
                                    + "column with a source id for every file")
                }
                sources[(row.path as NSString).standardizingPath] = source
            }
        }
        guard !sources.isEmpty else { return }
        for i in cases.indices {
            if let source = sources[(cases[i].image as NSString).standardizingPath] {
                cases[i].source = source
            }
        }
    }

    /// The file, in a data folder, that names each scan's source.
    public static let sourceTableName = "groups.csv"
}

extension DataSplit {
    /// Refuses a scan that is in two parts (given folders that overlap) and two parts that
    /// share a source, naming the file, the parts and the source.
    func checkDisjoint(pattern: NSRegularExpression?, block: Int? = nil) throws {
        var owner: [String: (part: String, file: String)] = [:]
        for (name, index) in [("training", train), ("validation", validation), ("test", test)] {
            for (dataCase, key) in zip(index.cases, index.sourceKeys(pattern: pattern,
                                                                           block: block)) {
                if let first = owner[key], first.part != name {
                    if key.hasPrefix("file:") {
                        throw DataError(.mismatch, file: dataCase.image, "is both a "
                                        + "\(first.part) and a \(name) case; the parts must not "
                                        + "share scans (check data.train, data.validation and "
                                        + "data.test)")
                    }
                    throw DataError(.mismatch, file: dataCase.image, "is a \(name) case from "
                                    + "source \"\(key.dropFirst("source:".count))\", like "
                                    + "\(first.part) case \(first.file); cases of one source "
                                    + "must all be in one part (check the folders, "
                                    + "data.groupPattern and groups.csv)")
                }
                owner[key] = (name, dataCase.image)
            }
        }
    }
}
