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
    /// A part without sources of its own is carved out of the `train` cases by a seeded split
    /// (`split(heldOut:seed:)`): the test part first (`testFraction`), then validation
    /// (`validationFraction`), each fraction a share of all `train` cases.
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
        let pool = try read(spec.train)
        func given(_ key: String, _ sources: [String]) throws -> DatasetIndex? {
            guard !sources.isEmpty else { return nil }
            let index = try read(sources)
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
        var carved = pool.split(heldOut: fractions, seed: seed)
        let train = carved.removeLast()
        let empty = DatasetIndex(cases: [], classNames: pool.classNames)
        let test = givenTest ?? (spec.testFraction == nil ? empty : carved.removeFirst())
        let validation = givenValidation ?? carved.removeFirst()
        let split = DataSplit(train: train, validation: validation, test: test)
        try split.checkDisjoint()
        return split
    }

    /// A seeded split for a validation part: `split(heldOut: [validationFraction])`.
    public func split(validationFraction: Double, seed: UInt64)
        -> (train: DatasetIndex, validation: DatasetIndex) {
        let parts = split(heldOut: [validationFraction], seed: seed)
        return (parts[1], parts[0])
    }

    /// Seeded split into `fractions.count` held-out parts, each about `fractions[i]` of the
    /// cases, and the training part, last.
    ///
    /// Cases are split one by one, stratified by class when they carry class indices: within
    /// each class the cases are shuffled and each goes to the first held-out part still short
    /// of its share (rounded), else to training. Each class keeps at least one training case,
    /// and a held-out part left empty gets one random training case when there are at least
    /// two. The same cases, fractions and seed give the same parts.
    public func split(heldOut fractions: [Double], seed: UInt64) -> [DatasetIndex] {
        precondition(fractions.allSatisfy { $0 >= 0 && $0 < 1 }
                     && fractions.reduce(0, +) < 1,
                     "held-out fractions must be in [0, 1) and sum below 1, got \(fractions)")
        var strata: [Int: [Int]] = [:]
        for (i, c) in cases.enumerated() {
            if case .classIndex(let k) = c.target { strata[k, default: []].append(i) } else {
                strata[-1, default: []].append(i)
            }
        }
        let trainingPart = fractions.count
        var part = [Int](repeating: trainingPart, count: cases.count)
        var generator = SeededGenerator(seed: seed ^ 0x5EED_5B11)
        for key in strata.keys.sorted() {
            var members = strata[key] ?? []
            generator.shuffle(&members)
            let targets = fractions.map { Int((Double(members.count) * $0).rounded()) }
            var counts = [Int](repeating: 0, count: fractions.count)
            var lastHeld: Int?
            for member in members {
                guard let p = fractions.indices.first(where: { counts[$0] < targets[$0] }) else {
                    continue
                }
                counts[p] += 1
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
        return (0...trainingPart).map { p in
            DatasetIndex(cases: cases.indices.filter { part[$0] == p }.map { cases[$0] },
                         classNames: classNames)
        }
    }
}

extension DataSplit {
    /// Refuses a scan that is in two parts (given folders that overlap), naming it and both
    /// parts.
    func checkDisjoint() throws {
        var owner: [String: String] = [:]
        for (name, index) in [("training", train), ("validation", validation), ("test", test)] {
            for dataCase in index.cases {
                let path = (dataCase.image as NSString).standardizingPath
                if let first = owner[path], first != name {
                    throw DataError(.mismatch, file: dataCase.image, "is both a \(first) and a "
                                    + "\(name) case; the parts must not share scans (check "
                                    + "data.train, data.validation and data.test)")
                }
                owner[path] = name
            }
        }
    }
}
