/// A finite planar symmetry group: the cyclic group C_N of N rotations, or the dihedral group
/// D_N of N rotations and N mirror images.
///
/// Convention (used by every action, layer and test of EquiScan):
/// - the generating rotation R turns an image by 360°/N counter-clockwise on screen; for N = 4
///   it is exactly numpy's `rot90` on the (H, W) axes: `out[i][j] = in[j][W - 1 - i]`;
/// - the mirror F flips along W: `out[i][j] = in[i][W - 1 - j]`;
/// - the element (m, r) of D_N is R^r F^m (mirror first, then rotate) and is stored at index
///   `N·m + r`; C_N has only m = 0, so its element R^r sits at index r;
/// - composition follows from F R F = R⁻¹: (R^a F^m)(R^b F^n) = R^(a + (−1)^m b) F^(m + n).
///
/// Groups are small values; `Group.c4` and `Group.d4` act exactly on the pixel grid, N = 8 (or
/// any N that is not 1, 2 or 4) needs interpolation and is only approximately equivariant.
public struct Group: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Whether the group has mirror images.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// C_N: rotations only.
        case cyclic
        /// D_N: rotations and mirror images.
        case dihedral
    }

    /// Cyclic or dihedral.
    public let kind: Kind
    /// N: the number of rotations (the rotation R turns by 360°/N).
    public let rotationCount: Int

    /// The group of the given kind with `rotationCount` rotations (at least 1).
    public init(kind: Kind, rotationCount: Int) {
        precondition(rotationCount >= 1,
                     "a group needs at least one rotation, got \(rotationCount)")
        self.kind = kind
        self.rotationCount = rotationCount
    }

    /// C_N, the N rotations by multiples of 360°/N.
    public static func cyclic(_ rotationCount: Int) -> Group {
        Group(kind: .cyclic, rotationCount: rotationCount)
    }

    /// D_N, the N rotations and N mirror images (order 2N).
    public static func dihedral(_ rotationCount: Int) -> Group {
        Group(kind: .dihedral, rotationCount: rotationCount)
    }

    /// The trivial group (identity only): a plain CNN.
    public static let trivial = Group.cyclic(1)
    /// C4: the four 90° rotations (p4 in Cohen & Welling 2016). Exact on the pixel grid.
    public static let c4 = Group.cyclic(4)
    /// D4: rotations by 90° and mirror images (p4m). Exact on the pixel grid.
    public static let d4 = Group.dihedral(4)
    /// C8: rotations by 45°; odd multiples need interpolation (approximate).
    public static let c8 = Group.cyclic(8)
    /// D8: C8 and mirror images; approximate like C8.
    public static let d8 = Group.dihedral(8)

    /// |G|: the number of elements.
    public var order: Int { kind == .cyclic ? rotationCount : 2 * rotationCount }

    /// Whether every element maps the pixel grid onto itself (N divides 4), so that actions and
    /// filter transforms are exact permutations of pixels.
    public var isExactOnPixelGrid: Bool { 4 % rotationCount == 0 }

    /// The neutral element.
    public var identity: GroupElement { GroupElement(mirrored: false, rotation: 0) }

    /// Every element in storage order (index `N·m + r`).
    public var elements: [GroupElement] { (0..<order).map { element(at: $0) } }

    /// The element stored at `index` (0 ≤ index < order).
    public func element(at index: Int) -> GroupElement {
        precondition(index >= 0 && index < order,
                     "element index \(index) outside 0..<\(order) of \(self)")
        return GroupElement(mirrored: index >= rotationCount, rotation: index % rotationCount)
    }

    /// The storage index `N·m + r` of an element of this group.
    public func index(of element: GroupElement) -> Int {
        precondition(contains(element), "\(element) is not an element of \(self)")
        return (element.mirrored ? rotationCount : 0) + element.rotation
    }

    /// Whether `element` belongs to this group.
    public func contains(_ element: GroupElement) -> Bool {
        element.rotation >= 0 && element.rotation < rotationCount
            && (!element.mirrored || kind == .dihedral)
    }

    /// The product `a·b` (apply b first, then a): (R^a F^m)(R^b F^n) = R^(a + (−1)^m b) F^(m+n).
    public func compose(_ a: GroupElement, _ b: GroupElement) -> GroupElement {
        precondition(contains(a) && contains(b), "\(a) or \(b) is not an element of \(self)")
        let turned = a.mirrored ? -b.rotation : b.rotation
        return GroupElement(mirrored: a.mirrored != b.mirrored,
                            rotation: modulo(a.rotation + turned, rotationCount))
    }

    /// The inverse: R^r ↦ R^(−r); every mirror image R^r F is its own inverse.
    public func inverse(_ a: GroupElement) -> GroupElement {
        precondition(contains(a), "\(a) is not an element of \(self)")
        if a.mirrored { return a }
        return GroupElement(mirrored: false, rotation: modulo(-a.rotation, rotationCount))
    }

    /// `index(of: compose(element(at: a), element(at: b)))`.
    public func composeIndex(_ a: Int, _ b: Int) -> Int {
        index(of: compose(element(at: a), element(at: b)))
    }

    /// `index(of: inverse(element(at: a)))`.
    public func inverseIndex(_ a: Int) -> Int {
        index(of: inverse(element(at: a)))
    }

    /// The rotation angle of R^r in radians, counter-clockwise on screen.
    public func angle(ofRotation rotation: Int) -> Double {
        2 * Double.pi * Double(rotation) / Double(rotationCount)
    }

    /// "C4", "D4", "C8"…
    public var description: String {
        (kind == .cyclic ? "C" : "D") + "\(rotationCount)"
    }

    /// Parses "C4", "d8"… (case-insensitive); nil for anything else.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let first = upper.first, first == "C" || first == "D",
              let count = Int(upper.dropFirst()), count >= 1 else { return nil }
        self.init(kind: first == "C" ? .cyclic : .dihedral, rotationCount: count)
    }

    /// Encoded as its name ("C4", "D4"), which is what configuration files and weight-file
    /// metadata carry.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes a name such as "C4" or "D8".
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let group = Group(name: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "group \"\(name)\" is not a group name; expected C<N> or D<N>, "
                    + "such as \"C4\" or \"D4\"")
        }
        self = group
    }
}

/// One element R^r F^m of a planar group (see `Group` for the convention). Elements do not know
/// their group; compose and invert them through the `Group` value.
public struct GroupElement: Hashable, Sendable, Codable, CustomStringConvertible {
    /// m = 1: the mirror F is applied (first).
    public let mirrored: Bool
    /// r: the number of generating rotations applied after the mirror (0 ≤ r < N).
    public let rotation: Int

    /// The element R^rotation F^(mirrored ? 1 : 0).
    public init(mirrored: Bool = false, rotation: Int) {
        self.mirrored = mirrored
        self.rotation = rotation
    }

    /// "R^r" or "R^r F".
    public var description: String { "R^\(rotation)" + (mirrored ? " F" : "") }
}

@inline(__always)
func modulo(_ value: Int, _ modulus: Int) -> Int {
    let r = value % modulus
    return r < 0 ? r + modulus : r
}
