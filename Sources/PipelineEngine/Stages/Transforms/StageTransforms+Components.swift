import ModelRuntime

extension StageTransforms {
    /// MONAI `KeepLargestConnectedComponent()` with its defaults for a label map
    /// (`applied_labels` = every non-zero label, `independent=True`, full connectivity): for
    /// each non-zero label on its own, the largest 8-connected set of pixels carrying that
    /// label is kept and every other pixel of that label becomes 0. Two pixels are connected
    /// when they share an edge or a corner. Of equally large components the one whose first
    /// pixel in row-major order comes first is kept. Label 0 and the geometry are unchanged.
    ///
    /// Components are traced with an explicit stack, not recursion, so a 4096 × 4096 mask needs
    /// only heap memory (one Int32 component index per pixel, plus the stack).
    public static func keepLargestConnectedComponent(_ mask: LabelMap) -> LabelMap {
        let (width, height) = (mask.width, mask.height)
        let count = width * height
        precondition(count <= Int(Int32.max), "a mask of \(count) pixels exceeds Int32 indices")
        // Component index of each labelled pixel; −1 for label 0 and pixels not reached yet.
        var component = [Int32](repeating: -1, count: count)
        var sizes: [Int] = []
        var labelOf: [Int32] = []
        var stack: [Int32] = []
        mask.values.withUnsafeBufferPointer { labels in
            // Seeds come in row-major order, so each component's seed is its first pixel.
            for seed in 0..<count where labels[seed] != 0 && component[seed] < 0 {
                let label = labels[seed]
                let id = Int32(sizes.count)
                var size = 0
                component[seed] = id
                stack.append(Int32(seed))
                while let popped = stack.popLast() {
                    let p = Int(popped)
                    size += 1
                    let (y, x) = (p / width, p % width)
                    for ny in max(y - 1, 0)...min(y + 1, height - 1) {
                        for nx in max(x - 1, 0)...min(x + 1, width - 1) {
                            let q = ny * width + nx
                            if labels[q] == label && component[q] < 0 {
                                component[q] = id
                                stack.append(Int32(q))
                            }
                        }
                    }
                }
                sizes.append(size)
                labelOf.append(label)
            }
        }
        // Strictly larger replaces, so ties keep the component found first.
        var largest: [Int32: Int] = [:]
        for (id, label) in labelOf.enumerated() {
            if let current = largest[label], sizes[current] >= sizes[id] { continue }
            largest[label] = id
        }
        var keep = [Bool](repeating: false, count: sizes.count)
        for id in largest.values { keep[id] = true }
        var result = mask
        for p in 0..<count where component[p] >= 0 && !keep[Int(component[p])] {
            result.values[p] = 0
        }
        return result
    }
}
