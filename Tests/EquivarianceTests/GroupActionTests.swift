import TensorCore
import XCTest
import _TestSupport
@testable import Equivariance

final class GroupActionTests: XCTestCase {
    /// numpy: rot90([[1,2,3],[4,5,6]]) == [[3,6],[2,5],[1,4]]; fliplr gives [[3,2,1],[6,5,4]].
    func testRotationAndMirrorFollowNumpy() {
        let plane = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        let rotated = Group.c4.transformPlanes(plane, by: GroupElement(rotation: 1))
        XCTAssertEqual(rotated.shape, [3, 2])
        XCTAssertEqual(rotated.storage, [3, 6, 2, 5, 1, 4])
        let half = Group.c4.transformPlanes(plane, by: GroupElement(rotation: 2))
        XCTAssertEqual(half.storage, [6, 5, 4, 3, 2, 1])
        let three = Group.c4.transformPlanes(plane, by: GroupElement(rotation: 3))
        XCTAssertEqual(three.storage, [4, 1, 5, 2, 6, 3])  // numpy rot90(m, 3)
        let mirrored = Group.d4.transformPlanes(plane,
                                                by: GroupElement(mirrored: true, rotation: 0))
        XCTAssertEqual(mirrored.storage, [3, 2, 1, 6, 5, 4])
        // R F: mirror first, then rotate: rot90(fliplr(m)) == [[1,4],[2,5],[3,6]].
        let rf = Group.d4.transformPlanes(plane, by: GroupElement(mirrored: true, rotation: 1))
        XCTAssertEqual(rf.storage, [1, 4, 2, 5, 3, 6])
        // C8's R² is a quarter turn, exact.
        XCTAssertEqual(Group.c8.transformPlanes(plane, by: GroupElement(rotation: 2)).storage,
                       rotated.storage)
    }

    /// Every element of every group that is exact on the grid moves planes, stacks of planes
    /// and label maps exactly as numpy's `rot90(fliplr^m(a), r)` does, on non-square planes.
    func testEveryExactElementFollowsNumpy() {
        var rng = SeededGenerator(seed: 5)
        let images = rng.signedTensor([2, 3, 4, 7])
        let labels = (0..<28).map { Int32($0) }
        for group in [Group.trivial, .cyclic(2), .c4, .dihedral(2), .d4] {
            for element in group.elements {
                // The numpy pose of R^r F^m: r turns of 360°/N are 4r/N quarter turns.
                let quarter = GroupElement(mirrored: element.mirrored,
                                           rotation: 4 * element.rotation / group.rotationCount)
                XCTAssertEqual(group.transformPlanes(images, by: element),
                               numpyAction(images, by: quarter), "\(group) \(element)")
                let moved = group.transformLabels(labels, height: 4, width: 7, by: element)
                let expected = NumpyGrid.act(labels, height: 4, width: 7, by: quarter)
                XCTAssertEqual(moved.labels, expected.samples, "\(group) \(element)")
                XCTAssertEqual([moved.height, moved.width], [expected.height, expected.width])
            }
        }
        // The even rotations of C8 and D8 are quarter turns and exact too.
        for group in [Group.c8, .d8] {
            for element in group.elements where element.rotation % 2 == 0 {
                let quarter = GroupElement(mirrored: element.mirrored,
                                           rotation: element.rotation / 2)
                XCTAssertEqual(group.transformPlanes(images, by: element),
                               numpyAction(images, by: quarter), "\(group) \(element)")
            }
        }
    }

    /// T_g T_h = T_{gh} on planes (a homomorphism), exactly, for every pair of D4 and C4.
    func testPlaneActionIsHomomorphism() {
        var rng = SeededGenerator(seed: 1)
        let images = rng.signedTensor([2, 3, 5, 7])
        for group in [Group.c4, .d4, .dihedral(2)] {
            for g in group.elements {
                for h in group.elements {
                    let once = group.transformPlanes(images, by: h)
                    let stepwise = group.transformPlanes(once, by: g)
                    let direct = group.transformPlanes(images, by: group.compose(g, h))
                    XCTAssertEqual(stepwise, direct, "\(group): T_\(g) T_\(h) ≠ T_{gh}")
                }
            }
        }
    }

    /// The regular action is a homomorphism too, and for C4 it is rotate + roll by +k.
    func testRegularActionOnFeatureMaps() {
        var rng = SeededGenerator(seed: 2)
        for group in [Group.c4, .d4] {
            let map = rng.signedTensor([2, 3, group.order, 4, 6])
            for g in group.elements {
                for h in group.elements {
                    XCTAssertEqual(
                        group.transformRegular(group.transformRegular(map, by: h), by: g),
                        group.transformRegular(map, by: group.compose(g, h)), "\(group)")
                }
            }
        }
        let map = rng.signedTensor([1, 2, 4, 3, 3])
        for k in 0..<4 {
            let acted = Group.c4.transformRegular(map, by: GroupElement(rotation: k))
            let rotated = Group.c4.transformPlanes(map, by: GroupElement(rotation: k))
            for c in 0..<2 {
                for s in 0..<4 {
                    for y in 0..<3 {
                        for x in 0..<3 {
                            XCTAssertEqual(acted[0, c, (s + k) % 4, y, x], rotated[0, c, s, y, x])
                        }
                    }
                }
            }
        }
    }

    func testLabelMapsTurnExactly() {
        let labels: [Int32] = [0, 1, 2, 3, 4, 5]
        let turned = Group.c4.transformLabels(labels, height: 2, width: 3,
                                              by: GroupElement(rotation: 1))
        XCTAssertEqual(turned.labels, [2, 5, 1, 4, 0, 3])
        XCTAssertEqual(turned.height, 3)
        XCTAssertEqual(turned.width, 2)
        // C8 by 45°: nearest sampling keeps the centre label and only uses existing labels.
        let square = (0..<25).map { Int32($0) }
        let diagonal = Group.c8.transformLabels(square, height: 5, width: 5,
                                                by: GroupElement(rotation: 1))
        XCTAssertEqual(diagonal.labels[12], 12)
        XCTAssertTrue(diagonal.labels.allSatisfy { (0..<25).contains($0) })
    }

    /// A 45° bilinear rotation of a smooth, centred blob is close to the blob; eight of them
    /// come back to the start within interpolation error. Worst error is reported.
    func testInterpolatedRotationIsApproximate() {
        let size = 21
        let blob = Tensor(shape: [size, size]) { p in
            let y = Float(p / size) - 10, x = Float(p % size) - 10
            return exp(-(x * x + 2 * y * y) / 30)
        }
        var turned = blob
        for _ in 0..<8 { turned = Group.c8.transformPlanes(turned, by: GroupElement(rotation: 1)) }
        let worst = zip(turned.storage, blob.storage).map { abs($0 - $1) }.max() ?? 0
        print("C8: eight 45° bilinear turns of a blob, worst abs error \(worst) (peak 1)")
        XCTAssertLessThan(worst, 0.15)
        XCTAssertGreaterThan(worst, 0, "bilinear rotation cannot be exact")
    }

    /// `baseGradient` is the transpose of `expand`: ⟨expand(a), b⟩ = ⟨a, baseGradient(b)⟩.
    func testFilterExpansionBackwardIsTranspose() {
        var rng = SeededGenerator(seed: 3)
        for group in [Group.c4, .d4, .c8] {
            for kind in [FilterExpansion.Kind.lifting, .group] {
                let expansion = FilterExpansion(group: group, kind: kind, outputFields: 2,
                                                inputFields: 3, kernelSize: 3)
                let a = rng.signedTensor(expansion.baseShape)
                let b = rng.signedTensor(expansion.bankShape)
                let lhs = dot(expansion.expand(a), b)
                let rhs = dot(a, expansion.baseGradient(bankGradient: b))
                XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "\(group) \(kind)")
            }
        }
    }

    /// Bank entries follow the C4 formula literally:
    /// bank[o·4 + r, i·4 + s] = R^r ψ[o, i, (s−r) mod 4].
    func testGroupBankMatchesC4Formula() {
        var rng = SeededGenerator(seed: 4)
        let expansion = FilterExpansion(group: .c4, kind: .group, outputFields: 2, inputFields: 2,
                                        kernelSize: 3)
        let base = rng.signedTensor(expansion.baseShape)
        let bank = expansion.expand(base)
        for o in 0..<2 {
            for i in 0..<2 {
                for r in 0..<4 {
                    for s in 0..<4 {
                        let filter = Tensor(shape: [3, 3]) {
                            base[o, i, (s - r + 4) % 4, $0 / 3, $0 % 3]
                        }
                        var turned = filter
                        for _ in 0..<r { turned = numpyRot90(turned) }
                        for p in 0..<9 {
                            XCTAssertEqual(bank[o * 4 + r, i * 4 + s, p / 3, p % 3],
                                           turned.storage[p])
                        }
                    }
                }
            }
        }
    }
}

func dot(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.storage, b.storage).reduce(0) { $0 + $1.0 * $1.1 }
}
