import TensorCore

extension Functional {
    /// max(x, 0).
    public static func relu(_ x: Variable) -> Variable {
        let input = x.value
        return Variable.record(Activation.reluForward(input), parents: [x]) { g in
            [Activation.reluBackward(outputGradient: g, input: input)]
        }
    }

    /// x for x > 0, slope·x otherwise (default slope 0.01, PyTorch's).
    public static func leakyRelu(_ x: Variable, slope: Float = 0.01) -> Variable {
        let input = x.value
        return Variable.record(Activation.leakyReluForward(input, slope: slope),
                               parents: [x]) { g in
            [Activation.leakyReluBackward(outputGradient: g, input: input, slope: slope)]
        }
    }

    /// x for x > 0, α·(eˣ − 1) otherwise (Clevert et al. 2016; default α = 1).
    public static func elu(_ x: Variable, alpha: Float = 1) -> Variable {
        let input = x.value
        return Variable.record(Activation.eluForward(input, alpha: alpha), parents: [x]) { g in
            [Activation.eluBackward(outputGradient: g, input: input, alpha: alpha)]
        }
    }

    /// 1 / (1 + e⁻ˣ).
    public static func sigmoid(_ x: Variable) -> Variable {
        let output = Activation.sigmoidForward(x.value)
        return Variable.record(output, parents: [x]) { g in
            [Activation.sigmoidBackward(outputGradient: g, output: output)]
        }
    }

    /// Softmax along `axis` (default 1, the classes of (N, C, …)).
    public static func softmax(_ x: Variable, axis: Int = 1) -> Variable {
        let output = Softmax.forward(logits: x.value, axis: axis)
        return Variable.record(output, parents: [x]) { g in
            [Softmax.backward(outputGradient: g, output: output, axis: axis)]
        }
    }

    /// Log-softmax along `axis` (default 1), computed stably (max subtracted).
    public static func logSoftmax(_ x: Variable, axis: Int = 1) -> Variable {
        let output = Softmax.logSoftmaxForward(logits: x.value, axis: axis)
        return Variable.record(output, parents: [x]) { g in
            [Softmax.logSoftmaxBackward(outputGradient: g, output: output, axis: axis)]
        }
    }
}
