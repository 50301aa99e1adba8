import Canonicalization
import Equivariance
import ModelRuntime

/// Every scan of an orientation set shown in every pose of the model's group, and the pose
/// the model finds for each: what `equiscan evaluate` reports on and what a trainer calibrates
/// its abstention thresholds on.
///
/// Case i is scan i / |G| turned by element i % |G|, so `truth[i]` is that element.
struct OrientationPoses {
    let group: Group
    /// The pose each case was shown in.
    var truth: [GroupElement]
    /// The model's pose of each case, with its confidences.
    var estimates: [PoseEstimate]

    /// Runs `model` (in evaluation mode) over every case of `cases` in every pose.
    init(model: PackagedModel, cases: [DataCase], loader: CaseLoader, group: Group,
         batchSize: Int) throws {
        let poses = group.elements
        var estimates: [PoseEstimate] = []
        try EvaluationLoop(model: model, batchSize: batchSize).run(
            count: cases.count * poses.count,
            prepare: { i in
                var item = try Evaluator.turned(loader.load(cases[i / poses.count]),
                                                by: poses[i % poses.count], of: group)
                item.classIndex = i % poses.count
                return item
            },
            visit: { _, _, items, outputs in
                let order = outputs.shape[1]  // (N, |G|) scores
                for n in 0..<items.count {
                    let row = Array(outputs.storage[(n * order)..<((n + 1) * order)])
                    estimates.append(PoseEstimate(group: group, scores: row))
                }
            })
        self.group = group
        self.estimates = estimates
        truth = estimates.indices.map { poses[$0 % poses.count] }
    }

    /// Rotation, mirror and pose accuracy, and with `abstention` coverage and selective
    /// accuracy.
    func metrics(abstention: PoseAbstention?) -> OrientationMetrics {
        OrientationMetrics(truth: truth, estimates: estimates, abstention: abstention)
    }

    /// These poses, found as given: for tests of the figures.
    init(group: Group, truth: [GroupElement], estimates: [PoseEstimate]) {
        self.group = group
        self.truth = truth
        self.estimates = estimates
    }

    /// Fraction of scans whose canonical form, found⁻¹ · g · x, is the same for every pose g.
    ///
    /// Every pose the decision rule could pick, to float rounding (`PoseEstimate.tiedBest`),
    /// counts as found: a scan that is its own mirror image (a slice of a left–right symmetric
    /// template) scores a pose and its mirror image alike, and either undoes the turn to the
    /// same image. A scan is consistent when one canonical form is among the found ones for
    /// every g.
    var orbitConsistency: Double {
        let order = group.order
        let scans = estimates.count / max(order, 1)
        var consistent = 0
        for scan in 0..<scans {
            var common: Set<GroupElement>?
            for k in 0..<order {
                let i = scan * order + k
                let found = PoseEstimate.tiedBest(group: group, scores: estimates[i].scores)
                let canonical = Set(found.map {
                    group.compose(group.inverse(group.element(at: $0)), truth[i])
                })
                common = common.map { $0.intersection(canonical) } ?? canonical
            }
            if !(common ?? []).isEmpty { consistent += 1 }
        }
        return Double(consistent) / Double(max(scans, 1))
    }

    /// Abstention thresholds for these (validation) cases: the rotation threshold over all
    /// cases, then the mirror threshold over the cases whose rotation it acts on.
    func calibration(targetAccuracy: Double) -> ModelMetadata.PoseCalibration {
        let rotation = ConfidenceCalibration.threshold(
            zip(truth, estimates).map { truth, estimate in
                (confidence: Double(estimate.rotationConfidence),
                 correct: estimate.element.rotation == truth.rotation)
            }, targetAccuracy: targetAccuracy)
        var mirror: ConfidenceCalibration.Choice?
        if group.kind == .dihedral {
            let acted = zip(truth, estimates).filter {
                Double($0.1.rotationConfidence) >= rotation.threshold
            }
            mirror = ConfidenceCalibration.threshold(
                acted.map { truth, estimate in
                    (confidence: Double(estimate.mirrorConfidence),
                     correct: estimate.mirrored == truth.mirrored)
                }, targetAccuracy: targetAccuracy)
        }
        return ModelMetadata.PoseCalibration(targetAccuracy: targetAccuracy, cases: truth.count,
                                             rotation: rotation, mirror: mirror)
    }
}
