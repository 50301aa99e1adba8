import Foundation

/// A canonical frame of a point set: the centre, the angle and whether it is mirrored.
///
/// A point p and its canonical coordinates p' are related by p = centre + R_θ F^m p', with
/// R_θ the counter-clockwise rotation by `angle` (x right, y up) and F = diag(1, −1) the
/// mirror y ↦ −y applied first when `mirrored`. Turning the input by φ adds φ to the angle and
/// leaves the canonical coordinates unchanged.
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

    /// The frame of one or two equivariant vectors by Gram–Schmidt: e₁ = u₁/|u₁|; with a second
    /// vector e₂ is u₂ − (u₂·e₁)e₁ normalised and the frame is mirrored when (e₁, e₂) is
    /// left-handed; with one vector the frame is a rotation. Nil when u₁, or the part of u₂
    /// orthogonal to it, is shorter than `minimumLength` (or not finite): the point set is
    /// too symmetric for the network to pick a frame.
    public init?(vectors: [(x: Double, y: Double)], centre: (x: Double, y: Double),
                 minimumLength: Double = 1e-7) {
        precondition(vectors.count == 1 || vectors.count == 2, "a frame takes 1 or 2 vectors")
        let u = vectors[0]
        let length = (u.x * u.x + u.y * u.y).squareRoot()
        guard length.isFinite, length > minimumLength else { return nil }
        var mirrored = false
        if vectors.count == 2 {
            let e1 = (x: u.x / length, y: u.y / length)
            let v = vectors[1]
            let along = v.x * e1.x + v.y * e1.y
            let w = (x: v.x - along * e1.x, y: v.y - along * e1.y)
            let wLength = (w.x * w.x + w.y * w.y).squareRoot()
            guard wLength.isFinite, wLength > minimumLength else { return nil }
            mirrored = e1.x * w.y - e1.y * w.x < 0
        }
        self.init(centreX: centre.x, centreY: centre.y, angle: atan2(u.y, u.x),
                  mirrored: mirrored)
    }

    /// The angle in degrees, counter-clockwise.
    public var degrees: Double { angle * 180 / .pi }

    /// Canonical coordinates of (x, y): F^m R_{−θ} (p − centre).
    public func canonical(x: Double, y: Double) -> (x: Double, y: Double) {
        let (dx, dy) = (x - centreX, y - centreY)
        let (c, s) = (cos(angle), sin(angle))
        let cx = c * dx + s * dy, cy = -s * dx + c * dy
        return (cx, mirrored ? -cy : cy)
    }

    /// The point whose canonical coordinates are (x, y): centre + R_θ F^m p'.
    public func point(fromCanonical x: Double, _ y: Double) -> (x: Double, y: Double) {
        let yy = mirrored ? -y : y
        let (c, s) = (cos(angle), sin(angle))
        return (centreX + c * x - s * yy, centreY + s * x + c * yy)
    }

    /// The smallest signed difference a − b of two angles in radians, in (−π, π].
    public static func angleDifference(_ a: Double, _ b: Double) -> Double {
        var d = (a - b).truncatingRemainder(dividingBy: 2 * .pi)
        if d > .pi { d -= 2 * .pi }
        if d <= -.pi { d += 2 * .pi }
        return d
    }
}
