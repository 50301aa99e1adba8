extension ShardSelection {
    /// The environment variables of a Slurm job array that give the shard.
    static let slurmID = "SLURM_ARRAY_TASK_ID"
    static let slurmMin = "SLURM_ARRAY_TASK_MIN"
    static let slurmMax = "SLURM_ARRAY_TASK_MAX"
    static let slurmCount = "SLURM_ARRAY_TASK_COUNT"
    /// The index of a pod of a Kubernetes Indexed Job.
    static let kubernetesIndex = "JOB_COMPLETION_INDEX"
    /// The shard count of a Kubernetes Indexed Job, when `--shard-count` is not given.
    static let countVariable = "EQUISCAN_SHARD_COUNT"

    /// The shard this process should run, nil for the whole batch.
    ///
    /// In order of precedence:
    /// 1. `option`, the value of `--shard INDEX/COUNT` (INDEX from 0 to COUNT - 1);
    /// 2. a Slurm job array: shard `SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN` of
    ///    `SLURM_ARRAY_TASK_COUNT` (the array must be contiguous: when
    ///    `SLURM_ARRAY_TASK_MAX` is set it must equal MIN + COUNT - 1);
    /// 3. a Kubernetes Indexed Job: shard `JOB_COMPLETION_INDEX` of `shardCount` (the
    ///    `--shard-count` option), else of `EQUISCAN_SHARD_COUNT`.
    ///
    /// `shardCount` given with `--shard` or a Slurm array must agree with their count, and
    /// given alone (no index from anywhere) is an error. Throws `ShardError` naming the option
    /// or variables at fault and the rule they break.
    public static func resolve(option: String?, shardCount: Int?,
                               environment: [String: String]) throws -> ShardSelection? {
        if let shardCount, shardCount < 1 {
            throw ShardError("--shard-count \(shardCount): must be at least 1")
        }
        let selection: ShardSelection
        let origin: String
        if let option {
            selection = try parse(option: option)
            origin = "--shard \(option)"
        } else if environment[slurmID] != nil {
            selection = try slurm(environment)
            origin = "\(slurmCount)=\(selection.count)"
        } else if let index = environment[kubernetesIndex] {
            return try kubernetes(index: index, shardCount: shardCount, environment)
        } else if let shardCount {
            throw ShardError("--shard-count \(shardCount) needs a shard index: pass --shard "
                             + "INDEX/\(shardCount), or run as a Kubernetes Indexed Job (which "
                             + "sets \(kubernetesIndex))")
        } else {
            return nil
        }
        if let shardCount, shardCount != selection.count {
            throw ShardError("--shard-count \(shardCount) disagrees with \(origin); give the "
                             + "same count or leave --shard-count out")
        }
        return selection
    }

    /// `--shard INDEX/COUNT`.
    static func parse(option: String) throws -> ShardSelection {
        let parts = option.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ShardError("--shard \"\(option)\": expected INDEX/COUNT, two whole numbers "
                             + "such as 0/4")
        }
        guard count >= 1 else {
            throw ShardError("--shard \"\(option)\": COUNT must be at least 1")
        }
        guard (0..<count).contains(index) else {
            throw ShardError("--shard \"\(option)\": INDEX must be at least 0 and below COUNT "
                             + "(here 0 to \(count - 1))")
        }
        return ShardSelection(index: index, count: count)
    }

    /// The shard of a Slurm job array task.
    static func slurm(_ environment: [String: String]) throws -> ShardSelection {
        let id = try slurmValue(slurmID, environment)
        let min = try slurmValue(slurmMin, environment)
        let count = try slurmValue(slurmCount, environment)
        guard count >= 1 else {
            throw ShardError("\(slurmCount)=\(count): expected at least 1")
        }
        let contiguous = "run a contiguous job array such as --array=0-\(count - 1)"
        if environment[slurmMax] != nil {
            let max = try slurmValue(slurmMax, environment)
            guard max >= min, max - min == count - 1 else {
                throw ShardError("\(slurmMin)=\(min), \(slurmMax)=\(max) and "
                                 + "\(slurmCount)=\(count) describe an array with gaps; "
                                 + contiguous)
            }
        }
        guard id >= min, id - min < count else {
            throw ShardError("\(slurmID)=\(id) and \(slurmMin)=\(min) do not give a shard "
                             + "from 0 to \(count - 1) (\(slurmCount)=\(count)); " + contiguous)
        }
        return ShardSelection(index: id - min, count: count)
    }

    /// The shard of a Kubernetes Indexed Job's pod.
    static func kubernetes(index text: String, shardCount: Int?,
                           _ environment: [String: String]) throws -> ShardSelection {
        guard let index = wholeNumber(text) else {
            throw notWhole(kubernetesIndex, text)
        }
        let count: Int
        let origin: String
        if let shardCount {
            count = shardCount
            origin = "--shard-count \(shardCount)"
        } else if let countText = environment[countVariable] {
            guard let value = wholeNumber(countText), value >= 1 else {
                throw ShardError("\(countVariable)=\"\(countText)\": expected a whole number "
                                 + "of at least 1")
            }
            count = value
            origin = "\(countVariable)=\(value)"
        } else {
            throw ShardError("\(kubernetesIndex)=\(text) needs a shard count: pass "
                             + "--shard-count N or set \(countVariable), N being the Job's "
                             + "completions")
        }
        guard index < count else {
            throw ShardError("\(kubernetesIndex)=\(index) is not below the shard count of "
                             + "\(origin); make the count equal to the Job's completions")
        }
        return ShardSelection(index: index, count: count)
    }

    /// The Slurm variable `name` as a whole number from 0; an error when it is missing or not
    /// such a number.
    private static func slurmValue(_ name: String, _ environment: [String: String]) throws
        -> Int {
        guard let text = environment[name] else {
            throw ShardError("\(slurmID) is set but \(name) is not; a Slurm job array "
                             + "(sbatch --array) sets \(slurmID), \(slurmMin) and "
                             + "\(slurmCount)")
        }
        guard let value = wholeNumber(text) else { throw notWhole(name, text) }
        return value
    }

    private static func notWhole(_ name: String, _ text: String) -> ShardError {
        ShardError("\(name)=\"\(text)\": expected a whole number (0, 1, 2, ...)")
    }

    /// `text` as a whole number from 0: decimal digits only, no sign or spaces.
    private static func wholeNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else {
            return nil
        }
        return Int(text)
    }
}
