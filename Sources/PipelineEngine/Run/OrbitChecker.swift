import Equivariance
import ModelRuntime
import Reports

/// The rotation-consistency check of a model stage (`"report": {"orbitCheck": true}`): the
/// stage's input image moved by every element g of its model's group (C4: 4 quarter turns;
/// D4: those and their mirror images, `Group.transform`, exact on the pixel grid) and
/// predicted again, then compared with the stage's own prediction. It needs no labels: the
/// prediction of an equivariant model on g·x is g applied to its prediction on x.
enum OrbitChecker {
    /// A classifier's orbit: the label under every element, consistent when all agree, and
    /// the probability spread (over classes, the largest max − min across elements).
    ///
    /// - Parameters:
    ///   - input: the stage's input image, as the identity prediction saw it.
    ///   - identity: the stage's own class probabilities, in `classes` order.
    ///   - predict: class probabilities of a moved image.
    static func classification(stage: String, group name: GroupName, input: ImagePlanes,
                               identity: [Double], classes: [String],
                               predict: (ImagePlanes) throws -> [Double]) rethrows
        -> OrbitCheck.Stage {
        let group = ModelFactory.group(name)
        var labels: [String: String] = [:]
        var low = identity
        var high = identity
        for element in group.elements {
            let probabilities = element == group.identity
                ? identity : try predict(group.transform(input, by: element))
            labels[element.reportName] = classes[StageRuntime.argmax(probabilities)]
            for (i, p) in probabilities.enumerated() {
                low[i] = min(low[i], p)
                high[i] = max(high[i], p)
            }
        }
        let spread = zip(low, high).map { $1 - $0 }.max() ?? 0
        return OrbitCheck.Stage(stage: stage, group: name.rawValue,
                                consistent: Set(labels.values).count == 1, labels: labels,
                                probabilitySpread: spread)
    }

    /// A segmenter's orbit: for every element g, the mask predicted on g·x turned back by
    /// g⁻¹ and scored against the stage's own mask (`meanDice`); consistent when the smallest
    /// score reaches `minDice`.
    ///
    /// - Parameters:
    ///   - identity: the stage's own mask (argmax of its probabilities).
    ///   - labels: the model's label count.
    ///   - predict: the argmax mask of a moved image.
    static func segmentation(stage: String, group name: GroupName, input: ImagePlanes,
                             identity: LabelMap, labels: Int, minDice: Double,
                             predict: (ImagePlanes) throws -> LabelMap) rethrows
        -> OrbitCheck.Stage {
        let group = ModelFactory.group(name)
        var dice: [String: Double] = [:]
        for element in group.elements {
            if element == group.identity {
                dice[element.reportName] = 1
                continue
            }
            let moved = try predict(group.transform(input, by: element))
            let back = group.transform(moved, by: group.inverse(element))
            dice[element.reportName] = meanDice(back, identity, labels: labels)
        }
        let lowest = dice.values.min() ?? 1
        return OrbitCheck.Stage(stage: stage, group: name.rawValue, consistent: lowest >= minDice,
                                dice: dice, minDice: lowest)
    }

    /// The mean, over labels 1..<`labels` present in either map, of Dice = 2|A ∩ B| / (|A| +
    /// |B|) (Dice 1945); 1 when neither map has a foreground pixel. Label 0 is background.
    static func meanDice(_ a: LabelMap, _ b: LabelMap, labels: Int) -> Double {
        precondition(a.width == b.width && a.height == b.height,
                     "Dice compares maps of one size, got \(a.width)×\(a.height) and "
                     + "\(b.width)×\(b.height)")
        var inA = [Int](repeating: 0, count: labels)
        var inB = [Int](repeating: 0, count: labels)
        var inBoth = [Int](repeating: 0, count: labels)
        for (x, y) in zip(a.values, b.values) {
            precondition(x >= 0 && Int(x) < labels && y >= 0 && Int(y) < labels,
                         "label outside 0..<\(labels)")
            inA[Int(x)] += 1
            inB[Int(y)] += 1
            if x == y { inBoth[Int(x)] += 1 }
        }
        let scores = (1..<max(labels, 1)).compactMap { label -> Double? in
            let total = inA[label] + inB[label]
            return total == 0 ? nil : 2 * Double(inBoth[label]) / Double(total)
        }
        return scores.isEmpty ? 1 : scores.reduce(0, +) / Double(scores.count)
    }
}
