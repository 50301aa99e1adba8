/// Fully connected layer, forward beside backward: y = x · Wᵀ + b.
///
/// Layouts: input x (N, F), weight W (O, F) (PyTorch's `nn.Linear` layout), bias b (O),
/// output y (N, O). Backward with g = ∂L/∂y (N, O):
///
///     ∂L/∂x = g · W        (N, F)
///     ∂L/∂W = gᵀ · x       (O, F)
///     ∂L/∂b = Σ_n g[n, :]  (O)
///
/// Each product is one `cblas_sgemm`, which OpenBLAS splits over `ThreadPolicy.workerCount`
/// threads (a large single GEMM under the thread policy).
public enum LinearKernels {
    /// y = x · Wᵀ + b. input (N, F), weight (O, F), bias (O) or nil → (N, O).
    public static func forward(input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                     "Linear needs input (N, F) and weight (O, F), "
                     + "got \(input.shape), \(weight.shape)")
        var output = Tensor.matmul(input, weight, transposeRight: true)  // (N, O)
        if let bias {
            let outFeatures = weight.shape[0]
            precondition(bias.shape == [outFeatures],
                         "Linear bias must be (\(outFeatures)), got \(bias.shape)")
            output.storage.withUnsafeMutableBufferPointer { y in
                bias.storage.withUnsafeBufferPointer { b in
                    for n in 0..<input.shape[0] {
                        for o in 0..<outFeatures { y[n * outFeatures + o] += b[o] }
                    }
                }
            }
        }
        return output
    }

    /// Gradients of `forward` given g = ∂L/∂y (N, O): input (N, F), weight (O, F), bias (O).
    public static func backward(outputGradient: Tensor, input: Tensor, weight: Tensor)
        -> (input: Tensor, weight: Tensor, bias: Tensor) {
        precondition(outputGradient.shape == [input.shape[0], weight.shape[0]],
                     "Linear outputGradient must be \([input.shape[0], weight.shape[0]]), "
                     + "got \(outputGradient.shape)")
        let inputGradient = Tensor.matmul(outputGradient, weight)  // (N, F)
        let weightGradient = Tensor.matmul(outputGradient, input, transposeLeft: true)  // (O, F)
        let biasGradient = outputGradient.sum(alongAxis: 0)  // (O)
        return (inputGradient, weightGradient, biasGradient)
    }
}
