/// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016, "Fast Algorithms for Convolutional
/// Neural Networks"), forward beside backward, for 3×3 kernels with stride 1 and any padding.
///
/// Each 2×2 output tile is Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A, with d the 4×4 input tile
/// (rows 2·th − p …, zero outside the image), g the 3×3 filter and
///
///     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
///     G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
///     Aᵀ = [1 1 1 0; 0 1 −1 −1]
///
/// For every one of the 16 transform positions ξ the channel sum is a matrix product,
/// M_ξ (Cout, T) = U_ξ (Cout, Cin) · V_ξ (Cin, T) over T tiles, done by `cblas_sgemm`: 16
/// products of Cout·Cin·T instead of 36 multiply-adds per tile and channel pair (2.25× fewer).
///
/// The backward pass is the exact adjoint of that linear map (so it is the true gradient):
///
///     dM = A dY Aᵀ (per tile; dY zero beyond the output edge)
///     dU_ξ = Σ_T dM_ξ · V_ξᵀ,     ∂L/∂g = Gᵀ dU G
///     dV_ξ = U_ξᵀ · dM_ξ,         ∂L/∂d = B dV Bᵀ, added into the overlapping input tiles
///
/// Work is split into blocks of whole tile rows of one image (about `targetTilesPerBlock`
/// tiles) so the transformed blocks stay in cache.
extension Conv2DKernels {
    /// Tiles per block: large enough for efficient GEMMs, small enough to stay in L2.
    /// (Measured 64–1024 with `equiscan bench conv`: differences were within the noise of a
    /// shared 2-core machine; 256 keeps a block of V and M at 16·32·256·4 B = 512 KiB each.)
    static let targetTilesPerBlock = 256

    /// Whether the Winograd path applies: 3×3 kernel, stride 1.
    static func winogradApplies(_ g: Geometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1
            && g.outHeight >= 1 && g.outWidth >= 1
    }

    /// Tile grid and block decomposition of a Winograd convolution.
    struct WinogradPlan {
        let g: Geometry
        let tilesH: Int, tilesW: Int
        let rowsPerBlock: Int, blocksPerImage: Int
        /// Width of the zero-padded rows a block reads: 2·tilesW + 2.
        let paddedWidth: Int
        /// Height of the zero-padded image the tiles cover: 2·tilesH + 2.
        let paddedHeight: Int
        var maxTilesPerBlock: Int { rowsPerBlock * tilesW }
        /// Samples between the ξ-slices of V (16, Cin, T_b) and of M (16, Cout, T_b). The
        /// slices are padded so that their starts are not a multiple of 4 KiB apart: the
        /// transforms write all 16 slices at once, and equal 4 KiB offsets would make those 16
        /// streams collide in the same L1 cache sets.
        let inStride: Int, outStride: Int

        init(_ g: Geometry) {
            self.g = g
            tilesH = (g.outHeight + 1) / 2
            tilesW = (g.outWidth + 1) / 2
            rowsPerBlock = max(1, min(tilesH, Conv2DKernels.targetTilesPerBlock / max(tilesW, 1)))
            blocksPerImage = (tilesH + rowsPerBlock - 1) / rowsPerBlock
            paddedWidth = 2 * tilesW + 2
            paddedHeight = 2 * tilesH + 2
            let tiles = rowsPerBlock * tilesW
            inStride = (g.inChannels * tiles + 15) / 16 * 16 + 16
            outStride = (g.outChannels * tiles + 15) / 16 * 16 + 16
        }

        func tileRows(block: Int) -> Range<Int> {
            let start = block * rowsPerBlock
            return start..<min(tilesH, start + rowsPerBlock)
        }
    }

    /// U_ξ = (G g Gᵀ)_ξ for every filter: weight (Cout, Cin, 3, 3) → U (16, Cout, Cin).
    static func winogradWeightTransform(_ weight: UnsafePointer<Float>, cout: Int, cin: Int,
                                        into u: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        for oc in 0..<plane {
            let w = weight + oc * 9
            // G g: 4×3, rows combined.
            var gg = [Float](repeating: 0, count: 12)
            for j in 0..<3 {
                let g0 = w[j], g1 = w[3 + j], g2 = w[6 + j]
                gg[j] = g0
                gg[3 + j] = 0.5 * (g0 + g1 + g2)
                gg[6 + j] = 0.5 * (g0 - g1 + g2)
                gg[9 + j] = g2
            }
            // (G g) Gᵀ: 4×4, columns combined.
            for i in 0..<4 {
                let g0 = gg[3 * i], g1 = gg[3 * i + 1], g2 = gg[3 * i + 2]
                u[(4 * i + 0) * plane + oc] = g0
                u[(4 * i + 1) * plane + oc] = 0.5 * (g0 + g1 + g2)
                u[(4 * i + 2) * plane + oc] = 0.5 * (g0 - g1 + g2)
                u[(4 * i + 3) * plane + oc] = g2
            }
        }
    }

    /// ∂L/∂g = Gᵀ dU G for every filter: dU (16, Cout, Cin) → weight gradient (Cout, Cin, 3, 3).
    static func winogradWeightTransformAdjoint(_ du: UnsafePointer<Float>, cout: Int, cin: Int,
                                               into dw: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        for oc in 0..<plane {
            // Gᵀ applied to the columns of each row of dU: 4×3.
            var half = [Float](repeating: 0, count: 12)
            for i in 0..<4 {
                let x0 = du[(4 * i) * plane + oc], x1 = du[(4 * i + 1) * plane + oc]
                let x2 = du[(4 * i + 2) * plane + oc], x3 = du[(4 * i + 3) * plane + oc]
                half[3 * i] = x0 + 0.5 * (x1 + x2)
                half[3 * i + 1] = 0.5 * (x1 - x2)
                half[3 * i + 2] = 0.5 * (x1 + x2) + x3
            }
            // Gᵀ applied down the rows: 3×3.
            let out = dw + oc * 9
            for j in 0..<3 {
                let x0 = half[j], x1 = half[3 + j], x2 = half[6 + j], x3 = half[9 + j]
                out[j] = x0 + 0.5 * (x1 + x2)
                out[3 + j] = 0.5 * (x1 - x2)
                out[6 + j] = 0.5 * (x1 + x2) + x3
            }
        }
    }

    /// V_ξ for one block: image (Cin, H, W) tile rows `rows` → v (16, Cin, T_b) with
    /// T_b = rows.count · tilesW. `scratch` holds 8 rows of `paddedWidth` samples.
    static func winogradInputTransform(image: UnsafePointer<Float>, plan: WinogradPlan,
                                       rows: Range<Int>, v: UnsafeMutablePointer<Float>,
                                       scratch: UnsafeMutablePointer<Float>) {
        let g = plan.g
        let tb = rows.count * plan.tilesW
        let wp = plan.paddedWidth
        let d = scratch           // 4 padded input rows (4, Wp)
        let t = scratch + 4 * wp  // their vertical transform Bᵀ d (4, Wp), de-interleaved
        let half = wp / 2  // tilesW + 1 even and as many odd columns per row
        // Valid input columns map to padded columns x' = x + p.
        let xLow = min(wp, g.padding), xHigh = min(wp, g.padding + g.width)
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for (rowIndex, th) in rows.enumerated() {
                for k in 0..<4 {
                    let row = d + k * wp
                    let y = 2 * th - g.padding + k
                    if y < 0 || y >= g.height || xHigh <= xLow {
                        row.update(repeating: 0, count: wp)
                        continue
                    }
                    if xLow > 0 { row.update(repeating: 0, count: xLow) }
                    (row + xLow).update(from: plane + y * g.width + (xLow - g.padding),
                                        count: xHigh - xLow)
                    if xHigh < wp { (row + xHigh).update(repeating: 0, count: wp - xHigh) }
                }
                // Vertical transform Bᵀ d, stored de-interleaved: even columns of row k at
                // t[k·Wp + i], odd ones at t[k·Wp + half + i], so the horizontal pass below
                // reads with unit stride and vectorises.
                var i = 0
                while i + 4 <= half {
                    let x = 2 * i
                    let r0 = load8(d + x), r1 = load8(d + wp + x)
                    let r2 = load8(d + 2 * wp + x), r3 = load8(d + 3 * wp + x)
                    let e0 = r0.evenHalf, e1 = r1.evenHalf, e2 = r2.evenHalf, e3 = r3.evenHalf
                    let o0 = r0.oddHalf, o1 = r1.oddHalf, o2 = r2.oddHalf, o3 = r3.oddHalf
                    store4(e0 - e2, t + i)
                    store4(e1 + e2, t + wp + i)
                    store4(e2 - e1, t + 2 * wp + i)
                    store4(e1 - e3, t + 3 * wp + i)
                    store4(o0 - o2, t + half + i)
                    store4(o1 + o2, t + wp + half + i)
                    store4(o2 - o1, t + 2 * wp + half + i)
                    store4(o1 - o3, t + 3 * wp + half + i)
                    i += 4
                }
                while i < half {
                    let x = 2 * i
                    let e0 = d[x], e1 = d[wp + x], e2 = d[2 * wp + x], e3 = d[3 * wp + x]
                    let o0 = d[x + 1], o1 = d[wp + x + 1]
                    let o2 = d[2 * wp + x + 1], o3 = d[3 * wp + x + 1]
                    t[i] = e0 - e2
                    t[wp + i] = e1 + e2
                    t[2 * wp + i] = e2 - e1
                    t[3 * wp + i] = e1 - e3
                    t[half + i] = o0 - o2
                    t[wp + half + i] = o1 + o2
                    t[2 * wp + half + i] = o2 - o1
                    t[3 * wp + half + i] = o1 - o3
                    i += 1
                }
                let base = v + c * tb + rowIndex * plan.tilesW
                let xiStride = plan.inStride
                for k in 0..<4 {
                    let even = t + k * wp, odd = even + half
                    let out0 = base + (4 * k) * xiStride, out1 = base + (4 * k + 1) * xiStride
                    let out2 = base + (4 * k + 2) * xiStride, out3 = base + (4 * k + 3) * xiStride
                    // Tile tw spans columns 2tw … 2tw + 3:
                    // even[tw], odd[tw], even[tw + 1], odd[tw + 1].
                    var tw = 0
                    while tw + 4 <= plan.tilesW {
                        let a = load4(even + tw), b = load4(odd + tw)
                        let cc = load4(even + tw + 1), dd = load4(odd + tw + 1)
                        store4(a - cc, out0 + tw)
                        store4(b + cc, out1 + tw)
                        store4(cc - b, out2 + tw)
                        store4(b - dd, out3 + tw)
                        tw += 4
                    }
                    while tw < plan.tilesW {
                        let a = even[tw], b = odd[tw], cc = even[tw + 1], dd = odd[tw + 1]
                        out0[tw] = a - cc
                        out1[tw] = b + cc
                        out2[tw] = cc - b
                        out3[tw] = b - dd
                        tw += 1
                    }
                }
            }
        }
    }

    /// Y = Aᵀ M A for one block: m (16, Cout, T_b) → output image (Cout, Ho, Wo), plus bias.
    static func winogradOutputTransform(m: UnsafePointer<Float>, plan: WinogradPlan,
                                        rows: Range<Int>, bias: UnsafePointer<Float>?,
                                        output: UnsafeMutablePointer<Float>) {
        let g = plan.g
        let tb = rows.count * plan.tilesW
        let xiStride = plan.outStride
        let fullTilesW = g.outWidth / 2  // tiles whose 2 columns are both inside
        for o in 0..<g.outChannels {
            let b = bias?[o] ?? 0
            let plane = output + o * g.outPixels
            for (rowIndex, th) in rows.enumerated() {
                let base = m + o * tb + rowIndex * plan.tilesW
                let y0 = 2 * th
                let secondRow = y0 + 1 < g.outHeight
                let row0 = plane + y0 * g.outWidth
                let row1 = row0 + g.outWidth
                @inline(__always) func tile(_ tw: Int) -> (Float, Float, Float, Float) {
                    // Aᵀ combines the rows i of M: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3; then
                    // the same along the columns.
                    @inline(__always) func at(_ i: Int, _ j: Int) -> Float {
                        base[(4 * i + j) * xiStride + tw]
                    }
                    let s00 = at(0, 0) + at(1, 0) + at(2, 0), s10 = at(1, 0) - at(2, 0) - at(3, 0)
                    let s01 = at(0, 1) + at(1, 1) + at(2, 1), s11 = at(1, 1) - at(2, 1) - at(3, 1)
                    let s02 = at(0, 2) + at(1, 2) + at(2, 2), s12 = at(1, 2) - at(2, 2) - at(3, 2)
                    let s03 = at(0, 3) + at(1, 3) + at(2, 3), s13 = at(1, 3) - at(2, 3) - at(3, 3)
                    return (s00 + s01 + s02 + b, s01 - s02 - s03 + b,
                            s10 + s11 + s12 + b, s11 - s12 - s13 + b)
                }
                var start = 0
                if secondRow {
                    // Four tiles at a time: the same sums on SIMD lanes, then the two output
                    // columns of each tile interleaved back into image order.
                    let bias4 = SIMD4<Float>(repeating: b)
                    while start + 4 <= fullTilesW {
                        @inline(__always) func at(_ i: Int, _ j: Int) -> SIMD4<Float> {
                            load4(base + (4 * i + j) * xiStride + start)
                        }
                        let s00 = at(0, 0) + at(1, 0) + at(2, 0)
                        let s10 = at(1, 0) - at(2, 0) - at(3, 0)
                        let s01 = at(0, 1) + at(1, 1) + at(2, 1)
                        let s11 = at(1, 1) - at(2, 1) - at(3, 1)
                        let s02 = at(0, 2) + at(1, 2) + at(2, 2)
                        let s12 = at(1, 2) - at(2, 2) - at(3, 2)
                        let s03 = at(0, 3) + at(1, 3) + at(2, 3)
                        let s13 = at(1, 3) - at(2, 3) - at(3, 3)
                        let y00 = s00 + s01 + s02 + bias4, y01 = s01 - s02 - s03 + bias4
                        let y10 = s10 + s11 + s12 + bias4, y11 = s11 - s12 - s13 + bias4
                        store8(interleave(y00, y01), row0 + 2 * start)
                        store8(interleave(y10, y11), row1 + 2 * start)
                        start += 4
                    }
                    for tw in start..<fullTilesW {
                        let y = tile(tw)
                        row0[2 * tw] = y.0
                        row0[2 * tw + 1] = y.1
                        row1[2 * tw] = y.2
                        row1[2 * tw + 1] = y.3
                    }
                } else {
                    for tw in 0..<fullTilesW {
                        let y = tile(tw)
                        row0[2 * tw] = y.0
                        row0[2 * tw + 1] = y.1
                    }
                }
                if fullTilesW < plan.tilesW {
                    let y = tile(fullTilesW)
                    row0[2 * fullTilesW] = y.0
                    if secondRow { row1[2 * fullTilesW] = y.2 }
                }
            }
        }
    }

    /// dM = A dY Aᵀ for one block: output gradient image (Cout, Ho, Wo) → dm (16, Cout, T_b).
    static func winogradOutputGradientTransform(outputGradient: UnsafePointer<Float>,
                                                plan: WinogradPlan, rows: Range<Int>,
                                                dm: UnsafeMutablePointer<Float>) {
        let g = plan.g
        let tb = rows.count * plan.tilesW
        let xiStride = plan.outStride
        let fullTilesW = g.outWidth / 2
        for o in 0..<g.outChannels {
            let plane = outputGradient + o * g.outPixels
            for (rowIndex, th) in rows.enumerated() {
                let base = dm + o * tb + rowIndex * plan.tilesW
                let y0 = 2 * th
                let row0 = plane + y0 * g.outWidth
                // Beyond the last output row the gradient is zero: read row 0 and scale by 0.
                let hasRow1: Float = y0 + 1 < g.outHeight ? 1 : 0
                let row1 = y0 + 1 < g.outHeight ? row0 + g.outWidth : row0
                @inline(__always) func store(_ tw: Int, _ g00: Float, _ g01: Float,
                                             _ g10: Float, _ g11: Float) {
                    // A dY gives rows (g0, g0 + g1, g0 − g1, −g1) of the 2×2 tile; then the
                    // same combination of its two columns (a, a + b, a − b, −b).
                    let rows = ((g00, g01), (g00 + g10, g01 + g11), (g00 - g10, g01 - g11),
                                (-g10, -g11))
                    @inline(__always) func put(_ i: Int, _ a: Float, _ b: Float) {
                        base[(4 * i) * xiStride + tw] = a
                        base[(4 * i + 1) * xiStride + tw] = a + b
                        base[(4 * i + 2) * xiStride + tw] = a - b
                        base[(4 * i + 3) * xiStride + tw] = -b
                    }
                    put(0, rows.0.0, rows.0.1)
                    put(1, rows.1.0, rows.1.1)
                    put(2, rows.2.0, rows.2.1)
                    put(3, rows.3.0, rows.3.1)
                }
                // Four tiles at a time on SIMD lanes, then one by one.
                var start = 0
                let scale4 = SIMD4<Float>(repeating: hasRow1)
                while start + 4 <= fullTilesW {
                    let top = load8(row0 + 2 * start), bottom = load8(row1 + 2 * start)
                    let g00 = top.evenHalf, g01 = top.oddHalf
                    let g10 = bottom.evenHalf * scale4, g11 = bottom.oddHalf * scale4
                    @inline(__always) func put(_ i: Int, _ a: SIMD4<Float>, _ b: SIMD4<Float>) {
                        store4(a, base + (4 * i) * xiStride + start)
                        store4(a + b, base + (4 * i + 1) * xiStride + start)
                        store4(a - b, base + (4 * i + 2) * xiStride + start)
                        store4(-b, base + (4 * i + 3) * xiStride + start)
                    }
                    put(0, g00, g01)
                    put(1, g00 + g10, g01 + g11)
                    put(2, g00 - g10, g01 - g11)
                    put(3, -g10, -g11)
                    start += 4
                }
                for tw in start..<fullTilesW {
                    let x0 = 2 * tw
                    store(tw, row0[x0], row0[x0 + 1], hasRow1 * row1[x0], hasRow1 * row1[x0 + 1])
                }
                if fullTilesW < plan.tilesW {
                    let x0 = 2 * fullTilesW
                    store(fullTilesW, row0[x0], 0, hasRow1 * row1[x0], 0)
                }
            }
        }
    }

    /// ∂L/∂d = B dV Bᵀ for one block, added into `paddedGradient` (Cin, 2·tilesH + 2, Wp), whose
    /// sample (y + p, x + p) is input position (y, x).
    ///
    /// Per tile row the 4 output rows are first summed into even / odd column accumulators
    /// (`scratch`, 8 · (tilesW + 1) samples; tile tw adds its columns 0, 2 at even[tw],
    /// even[tw + 1] and 1, 3 at odd[tw], odd[tw + 1]), four tiles at a time on SIMD lanes, and
    /// then added into the padded rows in image order.
    static func winogradInputGradientTransform(dv: UnsafePointer<Float>, plan: WinogradPlan,
                                               rows: Range<Int>,
                                               paddedGradient: UnsafeMutablePointer<Float>,
                                               scratch: UnsafeMutablePointer<Float>) {
        let g = plan.g
        let tb = rows.count * plan.tilesW
        let xiStride = plan.inStride
        let wp = plan.paddedWidth
        let length = plan.tilesW + 1  // accumulator length; 2 · length = Wp
        for c in 0..<g.inChannels {
            let plane = paddedGradient + c * plan.paddedHeight * wp
            for (rowIndex, th) in rows.enumerated() {
                let base = dv + c * tb + rowIndex * plan.tilesW
                scratch.update(repeating: 0, count: 8 * length)
                @inline(__always) func even(_ r: Int) -> UnsafeMutablePointer<Float> {
                    scratch + r * length
                }
                @inline(__always) func odd(_ r: Int) -> UnsafeMutablePointer<Float> {
                    scratch + (4 + r) * length
                }
                var tw = 0
                while tw + 4 <= plan.tilesW {
                    // B along each row i: (x0, x1 − x2 + x3, −x0 + x1 + x2, −x3).
                    @inline(__always) func row(_ i: Int)
                        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                        let x0 = load4(base + (4 * i) * xiStride + tw)
                        let x1 = load4(base + (4 * i + 1) * xiStride + tw)
                        let x2 = load4(base + (4 * i + 2) * xiStride + tw)
                        let x3 = load4(base + (4 * i + 3) * xiStride + tw)
                        return (x0, x1 - x2 + x3, -x0 + x1 + x2, -x3)
                    }
                    let h0 = row(0), h1 = row(1), h2 = row(2), h3 = row(3)
                    // B down the columns j gives output row r; accumulate by column parity.
                    @inline(__always) func add(_ r: Int, _ c0: SIMD4<Float>, _ c1: SIMD4<Float>,
                                               _ c2: SIMD4<Float>, _ c3: SIMD4<Float>) {
                        let e = even(r) + tw, o = odd(r) + tw
                        store4(load4(e) + c0, e)
                        store4(load4(e + 1) + c2, e + 1)
                        store4(load4(o) + c1, o)
                        store4(load4(o + 1) + c3, o + 1)
                    }
                    add(0, h0.0, h0.1, h0.2, h0.3)
                    add(1, h1.0 - h2.0 + h3.0, h1.1 - h2.1 + h3.1, h1.2 - h2.2 + h3.2,
                        h1.3 - h2.3 + h3.3)
                    add(2, h1.0 + h2.0 - h0.0, h1.1 + h2.1 - h0.1, h1.2 + h2.2 - h0.2,
                        h1.3 + h2.3 - h0.3)
                    add(3, -h3.0, -h3.1, -h3.2, -h3.3)
                    tw += 4
                }
                while tw < plan.tilesW {
                    @inline(__always) func row(_ i: Int) -> (Float, Float, Float, Float) {
                        let x0 = base[(4 * i) * xiStride + tw]
                        let x1 = base[(4 * i + 1) * xiStride + tw]
                        let x2 = base[(4 * i + 2) * xiStride + tw]
                        let x3 = base[(4 * i + 3) * xiStride + tw]
                        return (x0, x1 - x2 + x3, -x0 + x1 + x2, -x3)
                    }
                    let h0 = row(0), h1 = row(1), h2 = row(2), h3 = row(3)
                    @inline(__always) func add(_ r: Int, _ c0: Float, _ c1: Float, _ c2: Float,
                                               _ c3: Float) {
                        even(r)[tw] += c0
                        even(r)[tw + 1] += c2
                        odd(r)[tw] += c1
                        odd(r)[tw + 1] += c3
                    }
                    add(0, h0.0, h0.1, h0.2, h0.3)
                    add(1, h1.0 - h2.0 + h3.0, h1.1 - h2.1 + h3.1, h1.2 - h2.2 + h3.2,
                        h1.3 - h2.3 + h3.3)
                    add(2, h1.0 + h2.0 - h0.0, h1.1 + h2.1 - h0.1, h1.2 + h2.2 - h0.2,
                        h1.3 + h2.3 - h0.3)
                    add(3, -h3.0, -h3.1, -h3.2, -h3.3)
                    tw += 1
                }
                // Padded row 2·th + r, column 2i gets even(r)[i], column 2i + 1 odd(r)[i].
                for r in 0..<4 {
                    let target = plane + (2 * th + r) * wp
                    let e = even(r), o = odd(r)
                    var i = 0
                    while i + 4 <= length {
                        store8(load8(target + 2 * i) + interleave(load4(e + i), load4(o + i)),
                               target + 2 * i)
                        i += 4
                    }
                    while i < length {
                        target[2 * i] += e[i]
                        target[2 * i + 1] += o[i]
                        i += 1
                    }
                }
            }
        }
    }

    /// Winograd forward over the batch; blocks of all images are split across workers. Each
    /// output sample is written by one block, so the result does not depend on the worker count.
    static func winogradForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                geometry g: Geometry) -> Tensor {
        let plan = WinogradPlan(g)
        var output = [Float](repeating: 0, count: g.batch * g.outImageSize)  // (N, Cout, Ho, Wo)
        var u = [Float](repeating: 0, count: 16 * g.outChannels * g.inChannels)  // (16, Cout, Cin)
        let biasStorage = bias?.storage
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, Cin, 3, 3)
        output.withUnsafeMutableBufferPointer { y in
        u.withUnsafeMutableBufferPointer { ub in
            guard let xp = x.baseAddress, let wptr = w.baseAddress, let yp = y.baseAddress,
                  let up = ub.baseAddress else { return }
            winogradWeightTransform(wptr, cout: g.outChannels, cin: g.inChannels, into: up)
            let uConst = UnsafePointer(up)
            let items = g.batch * plan.blocksPerImage
            // Each chunk writes only the output rows of the tile blocks in its own range.
            let (xs, us, ys) = (RegionPointer(xp), RegionPointer(uConst), RegionPointer(yp))
            ThreadPolicy.parallel(count: items) { _, range in
                let (xp, uConst, yp) = (xs.pointer, us.pointer, ys.pointer)
                let v = UnsafeMutablePointer<Float>.allocate(
                    capacity: 16 * plan.inStride)  // (16, Cin, T_b)
                let m = UnsafeMutablePointer<Float>.allocate(
                    capacity: 16 * plan.outStride)  // (16, Cout, T_b)
                let scratch = UnsafeMutablePointer<Float>.allocate(
                    capacity: 8 * plan.paddedWidth)  // (8, Wp)
                defer {
                    v.deallocate()
                    m.deallocate()
                    scratch.deallocate()
                }
                biasStorage.withUnsafeBufferPointerIfPresent { biasPointer in
                    for item in range {
                        let n = item / plan.blocksPerImage
                        let rows = plan.tileRows(block: item % plan.blocksPerImage)
                        let tb = rows.count * plan.tilesW
                        winogradInputTransform(image: xp + n * g.inImageSize, plan: plan,
                                               rows: rows, v: v, scratch: scratch)
                        for xi in 0..<16 {
                            BLAS.sgemm(m: g.outChannels, n: tb, k: g.inChannels,
                                       a: uConst + xi * g.outChannels * g.inChannels,
                                       lda: g.inChannels, b: v + xi * plan.inStride, ldb: tb,
                                       c: m + xi * plan.outStride, ldc: tb)
                        }
                        winogradOutputTransform(m: m, plan: plan, rows: rows, bias: biasPointer,
                                                output: yp + n * g.outImageSize)
                    }
                }
            }
        }}}}
        return Tensor(shape: g.outputShape, storage: output)
    }

    /// Winograd backward. Images are split across workers (input-gradient tiles overlap within
    /// an image); each worker accumulates its own dU, and the partial sums are added in worker
    /// order, so the bits depend on the worker count but not on scheduling.
    static func winogradBackward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                                 geometry g: Geometry, needsInputGradient: Bool)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let plan = WinogradPlan(g)
        let chunks = max(1, ThreadPolicy.chunkCount(count: g.batch))
        let uCount = 16 * g.outChannels * g.inChannels
        var u = [Float](repeating: 0, count: uCount)  // (16, Cout, Cin)
        var du = [Float](repeating: 0, count: chunks * uCount)  // (chunk, 16, Cout, Cin)
        var inputGradient = [Float](repeating: 0,
                                    count: needsInputGradient ? input.count : 0)  // (N, Cin, H, W)
        var weightGradient = [Float](repeating: 0, count: weight.count)  // (Cout, Cin, 3, 3)
        let paddedImage = g.inChannels * plan.paddedHeight * plan.paddedWidth
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, Cin, 3, 3)
        outputGradient.storage.withUnsafeBufferPointer { dy in  // (N, Cout, Ho, Wo)
        inputGradient.withUnsafeMutableBufferPointer { dx in
        weightGradient.withUnsafeMutableBufferPointer { dw in
        u.withUnsafeMutableBufferPointer { ub in
        du.withUnsafeMutableBufferPointer { dub in
            guard let xp = x.baseAddress, let wptr = w.baseAddress, let dyp = dy.baseAddress,
                  let dwp = dw.baseAddress, let up = ub.baseAddress,
                  let dup = dub.baseAddress else { return }
            let dxp = dx.baseAddress
            winogradWeightTransform(wptr, cout: g.outChannels, cin: g.inChannels, into: up)
            let uConst = UnsafePointer(up)
            // Each chunk writes only its own slot of `du` and the input-gradient images of its
            // own range.
            let (xs, us, dys) = (RegionPointer(xp), RegionPointer(uConst), RegionPointer(dyp))
            let (dus, dxs) = (RegionPointer(dup), RegionPointer(dxp))
            ThreadPolicy.parallel(count: g.batch) { chunk, images in
                let (xp, uConst, dyp) = (xs.pointer, us.pointer, dys.pointer)
                let (dup, dxp) = (dus.pointer, dxs.pointer)
                let v = UnsafeMutablePointer<Float>.allocate(
                    capacity: 16 * plan.inStride)  // (16, Cin, T_b); reused as dV
                let dm = UnsafeMutablePointer<Float>.allocate(
                    capacity: 16 * plan.outStride)  // (16, Cout, T_b)
                let scratch = UnsafeMutablePointer<Float>.allocate(
                    capacity: 8 * plan.paddedWidth)  // (8, Wp)
                let padded = UnsafeMutablePointer<Float>.allocate(
                    capacity: needsInputGradient ? paddedImage : 1)  // (Cin, Hp, Wp)
                defer {
                    v.deallocate()
                    dm.deallocate()
                    scratch.deallocate()
                    padded.deallocate()
                }
                let duChunk = dup + chunk * uCount  // (16, Cout, Cin)
                for n in images {
                    if needsInputGradient { padded.update(repeating: 0, count: paddedImage) }
                    for block in 0..<plan.blocksPerImage {
                        let rows = plan.tileRows(block: block)
                        let tb = rows.count * plan.tilesW
                        winogradInputTransform(image: xp + n * g.inImageSize, plan: plan,
                                               rows: rows, v: v, scratch: scratch)
                        winogradOutputGradientTransform(
                            outputGradient: dyp + n * g.outImageSize, plan: plan, rows: rows,
                            dm: dm)
                        for xi in 0..<16 {
                            BLAS.sgemm(transposeB: true, m: g.outChannels, n: g.inChannels, k: tb,
                                       a: dm + xi * plan.outStride, lda: tb,
                                       b: v + xi * plan.inStride, ldb: tb, beta: 1,
                                       c: duChunk + xi * g.outChannels * g.inChannels,
                                       ldc: g.inChannels)
                        }
                        guard needsInputGradient else { continue }
                        for xi in 0..<16 {
                            BLAS.sgemm(transposeA: true, m: g.inChannels, n: tb, k: g.outChannels,
                                       a: uConst + xi * g.outChannels * g.inChannels,
                                       lda: g.inChannels, b: dm + xi * plan.outStride, ldb: tb,
                                       c: v + xi * plan.inStride, ldc: tb)
                        }
                        winogradInputGradientTransform(dv: v, plan: plan, rows: rows,
                                                       paddedGradient: padded, scratch: scratch)
                    }
                    if needsInputGradient, let dxp {
                        // Crop the padded gradient: sample (y + p, x + p) → (y, x).
                        let image = dxp + n * g.inImageSize
                        let rowsAvailable = min(g.height, plan.paddedHeight - g.padding)
                        let colsAvailable = min(g.width, plan.paddedWidth - g.padding)
                        for c in 0..<g.inChannels {
                            let src = padded + c * plan.paddedHeight * plan.paddedWidth
                            for y in 0..<max(0, rowsAvailable) {
                                (image + (c * g.height + y) * g.width).update(
                                    from: src + (y + g.padding) * plan.paddedWidth + g.padding,
                                    count: max(0, colsAvailable))
                            }
                        }
                    }
                }
            }
            for chunk in 1..<chunks {
                let src = dup + chunk * uCount
                for i in 0..<uCount { dup[i] += src[i] }
            }
            winogradWeightTransformAdjoint(dup, cout: g.outChannels, cin: g.inChannels, into: dwp)
        }}}}}}}
        return (needsInputGradient ? Tensor(shape: input.shape, storage: inputGradient) : nil,
                Tensor(shape: weight.shape, storage: weightGradient),
                biasGradient(outputGradient, geometry: g))
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's samples, or nil when there is no array.
    @inline(__always)
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

/// Four samples from `pointer` (any alignment).
@inline(__always)
func load4(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

/// Four samples from `pointer` (any alignment).
@inline(__always)
func load4(_ pointer: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
}

/// Eight samples from `pointer` (any alignment).
@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

/// Eight samples from `pointer` (any alignment).
@inline(__always)
func load8(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores four samples at `pointer` (any alignment).
@inline(__always)
func store4(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
}

/// Stores eight samples at `pointer` (any alignment).
@inline(__always)
func store8(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}

/// (a₀, b₀, a₁, b₁, a₂, b₂, a₃, b₃).
@inline(__always)
func interleave(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD8<Float> {
    SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])
}
