/// One of the eight symmetries of the pixel grid, as an index map: an optional left-right
/// mirror followed by `quarterTurns` counter-clockwise quarter turns (numpy
/// `rot90(fliplr(a) if mirrored else a, quarterTurns)` on the (H, W) axes).
///
/// This is the one implementation of grid turns and flips in EquiScan: the group action of C4
/// and D4 on planes (Equivariance) and the EXIF orientation of decoded scans (ImageCodecs) both
/// read their source indices here. It knows nothing of sample types, tensors or groups, so
/// every module can sit above it.
///
/// Output sample (row i, column j) reads source pixel `origin + j · columnStep + i · rowStep`
/// of the row-major source plane of `sourceHeight` × `sourceWidth` pixels.
public struct GridTurn: Hashable, Sendable {
    /// Extent of the source plane.
    public let sourceHeight: Int, sourceWidth: Int
    /// Extent of the result (H and W swap under an odd number of quarter turns).
    public let height: Int, width: Int
    /// Quarter turns counter-clockwise, reduced to 0…3.
    public let quarterTurns: Int
    /// Whether the source is mirrored left-right before it turns.
    public let mirrored: Bool
    /// Source pixel of output (0, 0) and its steps along an output row and down a column.
    let origin: Int, columnStep: Int, rowStep: Int

    /// The map of R^quarterTurns F^mirrored on planes of `height` × `width` pixels; negative
    /// `quarterTurns` turn clockwise.
    public init(quarterTurns: Int, mirrored: Bool = false, height: Int, width: Int) {
        precondition(height >= 0 && width >= 0,
                     "plane extent \(height)×\(width) must not be negative")
        let turns = ((quarterTurns % 4) + 4) % 4
        self.quarterTurns = turns
        self.mirrored = mirrored
        sourceHeight = height
        sourceWidth = width
        self.height = turns % 2 == 1 ? width : height
        self.width = turns % 2 == 1 ? height : width
        let (h, w) = (height, width)
        // With in[y][x] at y·W + x: rot90 reads out[i][j] = in[j][W − 1 − i], fliplr reads
        // out[i][j] = in[i][W − 1 − j]; each case is their composition written out.
        switch (turns, mirrored) {
        case (0, false): (origin, columnStep, rowStep) = (0, 1, w)
        case (0, true): (origin, columnStep, rowStep) = (w - 1, -1, w)
        case (1, false): (origin, columnStep, rowStep) = (w - 1, w, -1)
        case (1, true): (origin, columnStep, rowStep) = (0, w, 1)  // transpose
        case (2, false): (origin, columnStep, rowStep) = (h * w - 1, -1, -w)
        case (2, true): (origin, columnStep, rowStep) = ((h - 1) * w, 1, -w)  // flip up-down
        case (3, false): (origin, columnStep, rowStep) = ((h - 1) * w, -w, 1)
        default: (origin, columnStep, rowStep) = (h * w - 1, -w, -1)  // transverse
        }
    }

    /// Whether the map leaves every pixel in place.
    public var isIdentity: Bool { quarterTurns == 0 && !mirrored }

    /// Whether rows become columns (the result is W × H).
    public var swapsAxes: Bool { quarterTurns % 2 == 1 }

    /// The source pixel (flat, row-major) that output pixel (`row`, `column`) reads.
    @inline(__always)
    public func sourceIndex(row: Int, column: Int) -> Int {
        origin + column * columnStep + row * rowStep
    }

    /// The source pixel that flat output pixel `index` (row-major in the result) reads.
    @inline(__always)
    public func sourceIndex(_ index: Int) -> Int {
        sourceIndex(row: index / width, column: index % width)
    }

    /// Writes the moved plane of pixels with `channels` interleaved samples each.
    /// - Parameters:
    ///   - source: (sourceHeight · sourceWidth · channels) samples.
    ///   - output: (height · width · channels) samples, initialized (it may be uninitialized).
    public func apply<Sample>(_ source: UnsafePointer<Sample>, channels: Int = 1,
                              initializing output: UnsafeMutablePointer<Sample>) {
        precondition(channels >= 1, "a pixel needs at least one channel, got \(channels)")
        var o = 0
        for row in 0..<height {
            var s = origin + row * rowStep
            if channels == 1 {
                for _ in 0..<width {
                    (output + o).initialize(to: source[s])
                    o += 1
                    s += columnStep
                }
                continue
            }
            for _ in 0..<width {
                let p = s * channels
                for c in 0..<channels { (output + o + c).initialize(to: source[p + c]) }
                o += channels
                s += columnStep
            }
        }
    }

    /// The moved copy of `samples`, a row-major plane with `channels` interleaved samples per
    /// pixel, or a stack of such planes one after the other (channel-planar data use
    /// `channels: 1`).
    public func apply<Sample>(_ samples: [Sample], channels: Int = 1) -> [Sample] {
        let planeSize = sourceHeight * sourceWidth * channels
        precondition(planeSize == 0 ? samples.isEmpty : samples.count % planeSize == 0,
                     "\(samples.count) samples are not whole \(sourceHeight)×\(sourceWidth) "
                     + "planes of \(channels) channels")
        if isIdentity { return samples }
        let planes = planeSize == 0 ? 0 : samples.count / planeSize
        return [Sample](unsafeUninitializedCapacity: samples.count) { out, initialized in
            samples.withUnsafeBufferPointer { src in
                guard let input = src.baseAddress, let output = out.baseAddress else { return }
                for plane in 0..<planes {
                    apply(input + plane * planeSize, channels: channels,
                          initializing: output + plane * planeSize)
                }
            }
            initialized = samples.count
        }
    }
}
