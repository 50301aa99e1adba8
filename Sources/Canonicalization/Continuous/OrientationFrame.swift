import Foundation

/// A canonical frame of a point set: the centre, the angle and whether it is mirrored.
///
/// A point p and its canonical coordinates p' are related by p = centre + R_θ F^m p', with
/// R_θ the counter-clockwise rotation by `angle` (x right, y up) and F = diag(−1, 1) the
/// mirror x ↦ −x (left-right) applied first when `mirrored`. Turning the input by φ adds φ to
/// the angle and leaves the canonical coordinates unchanged.
///
/// The network's first vector is the canonical "up" (+y): an O(2)-equivariant network maps a
/// point set that is mirror-symmetric about an axis to vectors on that axis, and upright scans
/// (a brain slice, a chest radiograph) are nearly symmetric left-right, so "up" is the
/// direction such data can define.
public struct OrientationFrame: Equatable, Sendable {
    /// Centre of the frame (the weighted centroid), x and y.
    public let centreX: Double, centreY: Double
    /// Rotation in radians, counter-clockwise, in (−π, π].
    public let angle: Double
    /// Whether the points are mirrored relative to their canonical form (O(2) frames only).
    public let mirrored: Bool

    /// A frame given directly.
    public init(centreX: Double, centreY: Double, angle: Double, mirrored: Bool) {
        self.centreX = centreX
        self.centreY = centreY
        self.angle = angle
        self.mirrored = mirrored
    }

    /// The frame of one or two equivariant vectors by Gram–Schmidt: the canonical up
    /// e_up = u₁/|u₁| fixes the angle (R_θ (0, 1) = e_up); with a second vector, e_right is
    /// u₂ − (u₂·e_up)e_up normalised and the frame is mirrored when (e_right, e_up) is
    /// left-handed. Nil when u₁, or the part of u₂ orthogonal to it, is shorter than
    /// `minimumLength` (or not finite): the point set is too symmetric for the network to pick
    /// a frame.
    public init?(vectors: [(x: Double, y: Double)], centre: (x: Double, y: Double),
                 minimumLength: Double = 1e-7) {
        precondition(vectors.count == 1 || vectors.count == 2, "a frame takes 1 or 2 vectors")
        let u = vectors[0]
        let length = (u.x * u.x + u.y * u.y).squareRoot()
        guard length.isFinite, length > minimumLength else { return nil }
        var mirrored = false
        if vectors.count == 2 {
            let up = (x: u.x / length, y: u.y / length)
            let v = vectors[1]
            let along = v.x * up.x + v.y * up.y
            let right = (x: v.x - along * up.x, y: v.y - along * up.y)
            let rightLength = (right.x * right.x + right.y * right.y).squareRoot()
            guard rightLength.isFinite, rightLength > minimumLength else { return nil }
            mirrored = right.x * up.y - right.y * up.x < 0
        }
        self.init(centreX: centre.x, centreY: centre.y,
                  angle: Self.angleDifference(atan2(u.y, u.x), .pi / 2), mirrored: mirrored)
    }

    /// The angle in degrees, counter-clockwise.
    public var degrees: Double { angle * 180 / .pi }

    /// Canonical coordinates of (x, y): F^m R_{−θ} (p − centre).
    public func canonical(x: Double, y: Double) -> (x: Double, y: Double) {
        let (dx, dy) = (x - centreX, y - centreY)
        let (c, s) = (cos(angle), sin(angle))
        let cx = c * dx + s * dy, cy = -s * dx + c * dy
        return (mirrored ? -cx : cx, cy)
    }

    /// The point whose canonical coordinates are (x, y): centre + R_θ F^m p'.
    public func point(fromCanonical x: Double, _ y: Double) -> (x: Double, y: Double) {
        let xx = mirrored ? -x : x
        let (c, s) = (cos(angle), sin(angle))
        return (centreX + c * xx - s * y, centreY + s * xx + c * y)
    }

    /// The smallest signed difference a − b of two angles in radians, in (−π, π].
    public static func angleDifference(_ a: Double, _ b: Double) -> Double {
        var d = (a - b).truncatingRemainder(dividingBy: 2 * .pi)
        if d > .pi { d -= 2 * .pi }
        if d <= -.pi { d += 2 * .pi }
        return d
    }
}
