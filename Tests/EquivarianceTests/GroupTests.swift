import XCTest
import TensorCore
@testable import Equivariance

final class GroupTests: XCTestCase {
    private let groups: [Group] = (1...8).flatMap { [Group.cyclic($0), Group.dihedral($0)] }

    func testOrdersAndStorageIndex() {
        XCTAssertEqual(Group.c4.order, 4)
        XCTAssertEqual(Group.d4.order, 8)
        XCTAssertEqual(Group.c8.order, 8)
        XCTAssertEqual(Group.d8.order, 16)
        // D_N element (m, r) ↔ R^r F^m at N·m + r.
        XCTAssertEqual(Group.d4.index(of: GroupElement(mirrored: true, rotation: 3)), 7)
        XCTAssertEqual(Group.d4.element(at: 5), GroupElement(mirrored: true, rotation: 1))
        for group in groups {
            for (index, element) in group.elements.enumerated() {
                XCTAssertEqual(group.index(of: element), index, "\(group)")
            }
        }
        XCTAssertFalse(Group.c4.contains(GroupElement(mirrored: true, rotation: 0)))
    }

    func testGroupAxioms() {
        for group in groups {
            let elements = group.elements
            let e = group.identity
            for a in elements {
                XCTAssertEqual(group.compose(e, a), a, "\(group): e·a")
                XCTAssertEqual(group.compose(a, e), a, "\(group): a·e")
                XCTAssertEqual(group.compose(a, group.inverse(a)), e, "\(group): a·a⁻¹ for \(a)")
                XCTAssertEqual(group.compose(group.inverse(a), a), e, "\(group): a⁻¹·a for \(a)")
                for b in elements {
                    XCTAssertTrue(group.contains(group.compose(a, b)), "\(group): closure")
                    for c in elements {
                        XCTAssertEqual(group.compose(group.compose(a, b), c),
                                       group.compose(a, group.compose(b, c)),
                                       "\(group): associativity for \(a), \(b), \(c)")
                    }
                }
            }
            // Every element appears once in each row of the table (Latin square).
            for a in 0..<group.order {
                XCTAssertEqual(Set((0..<group.order).map { group.composeIndex(a, $0) }).count,
                               group.order, "\(group)")
            }
        }
    }

    func testDihedralRelationAndNonCommutativity() {
        let d4 = Group.d4
        let r = GroupElement(rotation: 1), f = GroupElement(mirrored: true, rotation: 0)
        // F R F = R⁻¹, and R F ≠ F R.
        XCTAssertEqual(d4.compose(f, d4.compose(r, f)), d4.inverse(r))
        XCTAssertNotEqual(d4.compose(r, f), d4.compose(f, r))
        XCTAssertEqual(d4.compose(r, f), GroupElement(mirrored: true, rotation: 1))
    }

    func testNamesAndCoding() throws {
        XCTAssertEqual(Group(name: "c4"), .c4)
        XCTAssertEqual(Group(name: "D8"), .d8)
        XCTAssertNil(Group(name: "E4"))
        XCTAssertNil(Group(name: "C0"))
        let data = try JSONEncoder().encode([Group.d4])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"D4\"]")
        XCTAssertEqual(try JSONDecoder().decode([Group].self, from: data), [.d4])
        XCTAssertThrowsError(try JSONDecoder().decode([Group].self, from: Data("[\"Q2\"]".utf8)))
    }
}
