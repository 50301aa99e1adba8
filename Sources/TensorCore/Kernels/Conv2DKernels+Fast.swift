/// The fast convolution path: the same maths as the reference path in `Conv2DKernels.swift`,
/// arranged for both cores (see `ThreadPolicy`).
extension Conv2DKernels {
    /// Convolution forward; see the type's documentation for layouts and formula.
    /// input (N, Cin, H, W), weight (Cout, Cin, kH, kW), bias (Cout) → (N, Cout, Ho, Wo).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor?,
                               stride: Int = 1, padding: Int = 0) -> Tensor {
        let g = Geometry(inputShape: input.shape, weightShape: weight.shape,
                         stride: stride, padding: padding)
        checkBias(bias, g)
        if winogradApplies(g) {
            return winogradForward(input: input, weight: weight, bias: bias, geometry: g)
        }
        return imageParallelForward(input: input, weight: weight, bias: bias, geometry: g)
    }

    /// Convolution backward: gradients with respect to input (when `needsInputGradient`),
    /// weight (Cout, Cin, kH, kW) and bias (Cout), given ∂L/∂y (N, Cout, Ho, Wo).
    public static func backward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                                stride: Int = 1, padding: Int = 0,
                                needsInputGradient: Bool = true)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let g = Geometry(inputShape: input.shape, weightShape: weight.shape,
                         stride: stride, padding: padding)
        precondition(outputGradient.shape == g.outputShape,
                     "Conv2D outputGradient must be \(g.outputShape), got \(outputGradient.shape)")
        if winogradApplies(g) {
            return winogradBackward(outputGradient: outputGradient, input: input, weight: weight,
                                    geometry: g, needsInputGradient: needsInputGradient)
        }
        return imageParallelBackward(outputGradient: outputGradient, input: input, weight: weight,
                                     geometry: g, needsInputGradient: needsInputGradient)
    }

    /// Name of the algorithm `forward` uses for this geometry (reported by the benchmark).
    public static func forwardAlgorithm(for geometry: Geometry) -> String {
        if winogradApplies(geometry) { return "Winograd F(2x2,3x3), blocks split across workers" }
        if isPointwise(geometry) { return "1x1 as GEMM per image, images split across workers" }
        return "im2col per image, images split across workers"
    }

    /// Whether `forward` works in fixed-size tile blocks (Winograd) for this geometry, so its
    /// workspace is bounded whatever the image size and callers need not split large images.
    public static func hasBoundedWorkspace(_ geometry: Geometry) -> Bool {
        winogradApplies(geometry)
    }

    /// A 1×1 convolution with stride 1 and no padding: its im2col matrix is the image itself.
    static func isPointwise(_ g: Geometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.stride == 1 && g.padding == 0
    }

    // MARK: - Images split across workers

    /// Forward with the batch split into `ThreadPolicy.workerCount` chunks, each doing
    /// im2col + single-threaded sgemm per image. Every output sample is computed by exactly
    /// one worker, so the result does not depend on the worker count.
    static func imageParallelForward(input: Tensor, weight: Tensor, bias: Tensor?,
                                     geometry g: Geometry) -> Tensor {
        var output = [Float](repeating: 0, count: g.batch * g.outImageSize)  // (N, Cout, Ho, Wo)
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, K)
        output.withUnsafeMutableBufferPointer { y in
            guard let xp = x.baseAddress, let wp = w.baseAddress,
                  let yp = y.baseAddress else { return }
            let pointwise = isPointwise(g)
            // Each chunk writes only the output images of its own range.
            let (xs, ws, ys) = (RegionPointer(xp), RegionPointer(wp), RegionPointer(yp))
            ThreadPolicy.parallel(count: g.batch) { _, images in
                let (xp, wp, yp) = (xs.pointer, ws.pointer, ys.pointer)
                let column = UnsafeMutablePointer<Float>.allocate(
                    capacity: pointwise ? 1 : g.patchSize * g.outPixels)  // (K, Ho·Wo)
                defer { column.deallocate() }
                for n in images {
                    let image = xp + n * g.inImageSize
                    if !pointwise { im2col(image: image, geometry: g, column: column) }
                    BLAS.sgemm(m: g.outChannels, n: g.outPixels, k: g.patchSize,
                               a: wp, lda: g.patchSize,
                               b: pointwise ? image : UnsafePointer(column),
                               ldb: g.outPixels, c: yp + n * g.outImageSize, ldc: g.outPixels)
                }
            }
            if let bias { addBias(bias, to: yp, geometry: g) }
        }}}
        return Tensor(shape: g.outputShape, storage: output)
    }

    /// Backward with the batch split into chunks. Input gradients are per image (disjoint);
    /// each chunk accumulates its own weight gradient, and the partial sums are added in chunk
    /// order, so the bits depend on the worker count but not on scheduling.
    static func imageParallelBackward(outputGradient: Tensor, input: Tensor, weight: Tensor,
                                      geometry g: Geometry, needsInputGradient: Bool)
        -> (input: Tensor?, weight: Tensor, bias: Tensor) {
        let chunks = ThreadPolicy.chunkCount(count: g.batch)
        var inputGradient = [Float](repeating: 0,
                                    count: needsInputGradient ? input.count : 0)  // (N, Cin, H, W)
        // (chunk, Cout, K)
        var partials = [Float](repeating: 0, count: max(chunks, 1) * weight.count)
        input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W)
        weight.storage.withUnsafeBufferPointer { w in         // (Cout, K)
        outputGradient.storage.withUnsafeBufferPointer { dy in  // (N, Cout, Ho·Wo)
        inputGradient.withUnsafeMutableBufferPointer { dx in
        partials.withUnsafeMutableBufferPointer { dw in
            guard let xp = x.baseAddress, let wp = w.baseAddress, let dyp = dy.baseAddress,
                  let dwp = dw.baseAddress else { return }
            let dxp = dx.baseAddress
            let pointwise = isPointwise(g)
            // Each chunk writes only its own slot of `partials` and the input-gradient images
            // of its own range.
            let (xs, ws, dys) = (RegionPointer(xp), RegionPointer(wp), RegionPointer(dyp))
            let (dws, dxs) = (RegionPointer(dwp), RegionPointer(dxp))
            ThreadPolicy.parallel(count: g.batch) { chunk, images in
                let (xp, wp, dyp) = (xs.pointer, ws.pointer, dys.pointer)
                let (dwp, dxp) = (dws.pointer, dxs.pointer)
                let column = UnsafeMutablePointer<Float>.allocate(
                    capacity: pointwise ? 1 : g.patchSize * g.outPixels)  // (K, Ho·Wo)
                defer { column.deallocate() }
                let dwChunk = dwp + chunk * weight.count  // (Cout, K)
                for n in images {
                    let dyn = dyp + n * g.outImageSize
                    let image = xp + n * g.inImageSize
                    if !pointwise { im2col(image: image, geometry: g, column: column) }
                    BLAS.sgemm(transposeB: true, m: g.outChannels, n: g.patchSize,
                               k: g.outPixels, a: dyn, lda: g.outPixels,
                               b: pointwise ? image : UnsafePointer(column),
                               ldb: g.outPixels, beta: 1,
                               c: dwChunk, ldc: g.patchSize)
                    if needsInputGradient, let dxp {
                        // A 1×1 convolution's col2im is the identity: write dx directly.
                        BLAS.sgemm(transposeA: true, m: g.patchSize, n: g.outPixels,
                                   k: g.outChannels, a: wp, lda: g.patchSize, b: dyn,
                                   ldb: g.outPixels,
                                   c: pointwise ? dxp + n * g.inImageSize : column,
                                   ldc: g.outPixels)
                        if !pointwise {
                            col2im(column: column, geometry: g, image: dxp + n * g.inImageSize)
                        }
                    }
                }
            }
            for chunk in 1..<max(chunks, 1) {
                let src = dwp + chunk * weight.count
                for i in 0..<weight.count { dwp[i] += src[i] }
            }
        }}}}}
        let weightGradient = Array(partials.prefix(weight.count))
        return (needsInputGradient ? Tensor(shape: input.shape, storage: inputGradient) : nil,
                Tensor(shape: weight.shape, storage: weightGradient),
                biasGradient(outputGradient, geometry: g))
    }
}
