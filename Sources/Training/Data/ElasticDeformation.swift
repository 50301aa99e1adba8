import Foundation
import ModelRuntime
import TensorCore

/// A smooth random warp: Gaussian displacements drawn at a `points × points` grid of control
/// points spanning the image (corners included), interpolated bilinearly to every pixel. Output
/// pixel (x, y) takes the source at (x + dx, y + dy), so the image and its label map, warped by
/// one field, stay aligned.
public struct DisplacementField: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Per-pixel displacement in pixels, row-major.
    public var dx: [Float]
    public var dy: [Float]

    public init(width: Int, height: Int, dx: [Float], dy: [Float]) {
        precondition(dx.count == width * height && dy.count == width * height,
                     "a \(width)x\(height) displacement field needs \(width * height) values")
        self.width = width
        self.height = height
        self.dx = dx
        self.dy = dy
    }

    /// The field interpolated from control-point displacements given row-major on a
    /// `points × points` grid (`controlX[j · points + i]`: x displacement at column i, row j).
    public init(width: Int, height: Int, points: Int, controlX: [Double], controlY: [Double]) {
        precondition(points >= 2 && controlX.count == points * points
                     && controlY.count == points * points,
                     "control displacements need points × points values, points ≥ 2")
        // Position u of a pixel on the control grid, split into a cell index and a fraction.
        func cell(_ p: Int, _ extent: Int) -> (Int, Double) {
            let u = extent > 1 ? Double(p) * Double(points - 1) / Double(extent - 1) : 0
            let i = min(Int(u), points - 2)
            return (i, u - Double(i))
        }
        let columns = (0..<width).map { cell($0, width) }
        var dx = [Float](repeating: 0, count: width * height)
        var dy = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            let (j, t) = cell(y, height)
            for x in 0..<width {
                let (i, s) = columns[x]
                let k = j * points + i
                let w00 = (1 - s) * (1 - t), w10 = s * (1 - t), w01 = (1 - s) * t, w11 = s * t
                dx[y * width + x] = Float(w00 * controlX[k] + w10 * controlX[k + 1]
                                          + w01 * controlX[k + points]
                                          + w11 * controlX[k + points + 1])
                dy[y * width + x] = Float(w00 * controlY[k] + w10 * controlY[k + 1]
                                          + w01 * controlY[k + points]
                                          + w11 * controlY[k + points + 1])
            }
        }
        self.init(width: width, height: height, dx: dx, dy: dy)
    }

    /// The field of a zoom by `factor` (> 0) about the image centre: output pixel p samples
    /// the input at c + (p − c) / factor, c = ((width − 1) / 2, (height − 1) / 2), so a factor
    /// above 1 magnifies the middle of the image.
    public static func zoom(width: Int, height: Int, factor: Double) -> DisplacementField {
        precondition(factor > 0, "a zoom factor must be positive, got \(factor)")
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let shrink = 1 - 1 / factor
        var dx = [Float](repeating: 0, count: width * height)
        var dy = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                dx[y * width + x] = Float((cx - Double(x)) * shrink)
                dy[y * width + x] = Float((cy - Double(y)) * shrink)
            }
        }
        return DisplacementField(width: width, height: height, dx: dx, dy: dy)
    }

    /// A field with control displacements drawn from N(0, spec.displacement²) pixels.
    public static func random(width: Int, height: Int, spec: ElasticSpec,
                              generator: inout SeededGenerator) -> DisplacementField {
        let count = spec.points * spec.points
        var draws = [Double]()
        draws.reserveCapacity(2 * count)
        while draws.count < 2 * count {
            let (first, second) = generator.nextGaussianPair(scale: spec.displacement)
            draws.append(first)
            draws.append(second)
        }
        return DisplacementField(width: width, height: height, points: spec.points,
                                 controlX: Array(draws[0..<count]),
                                 controlY: Array(draws[count..<(2 * count)]))
    }
}

extension ImagePlanes {
    /// The image warped by `field` with bilinear sampling; samples beyond the border repeat the
    /// nearest edge sample.
    public func warped(by field: DisplacementField) -> ImagePlanes {
        precondition(field.width == width && field.height == height,
                     "a \(field.width)x\(field.height) field cannot warp a "
                     + "\(width)x\(height) image")
        var out = [Float](repeating: 0, count: values.count)
        let maxX = Float(width - 1), maxY = Float(height - 1)
        for y in 0..<height {
            for x in 0..<width {
                let p = y * width + x
                let sx = min(max(Float(x) + field.dx[p], 0), maxX)
                let sy = min(max(Float(y) + field.dy[p], 0), maxY)
                let x0 = min(Int(sx), width - 1), y0 = min(Int(sy), height - 1)
                let x1 = min(x0 + 1, width - 1), y1 = min(y0 + 1, height - 1)
                let fx = sx - Float(x0), fy = sy - Float(y0)
                for c in 0..<channels {
                    let base = c * height * width
                    let top = values[base + y0 * width + x0] * (1 - fx)
                        + values[base + y0 * width + x1] * fx
                    let bottom = values[base + y1 * width + x0] * (1 - fx)
                        + values[base + y1 * width + x1] * fx
                    out[base + p] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return ImagePlanes(channels: channels, width: width, height: height, values: out)
    }
}

extension LabelMap {
    /// The label map warped by `field` with nearest-neighbour sampling (classes are never
    /// blended); positions beyond the border take the nearest edge label.
    public func warped(by field: DisplacementField) -> LabelMap {
        precondition(field.width == width && field.height == height,
                     "a \(field.width)x\(field.height) field cannot warp a \(width)x\(height) map")
        var out = [Int32](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                let p = y * width + x
                let sx = min(max(Int((Float(x) + field.dx[p]).rounded()), 0), width - 1)
                let sy = min(max(Int((Float(y) + field.dy[p]).rounded()), 0), height - 1)
                out[p] = values[sy * width + sx]
            }
        }
        return LabelMap(width: width, height: height, values: out)
    }
}
