import TensorCore

/// Builds the filter bank of a lifting or group convolution from its base filters, and maps a
/// gradient of the bank back onto the base filters (forward and backward side by side).
///
/// Lifting (Cohen & Welling 2016, eq. 10): the bank has one filter per output field and pose,
/// `bank[o·|G| + g, i] = T_g ψ[o, i]`, so correlating an image with it gives
/// `out[o, g] = Σ_i x[i] ⋆ T_g ψ[o, i]`.
///
/// Group convolution (eq. 11, regular representation):
/// `bank[o·|G| + g, i·|G| + h] = T_g ψ[o, i, g⁻¹h]`, so correlating the (N, Cin·|G|, H, W) view
/// of a regular feature map with it gives `out[o, g] = Σ_{i,h} f[i, h] ⋆ T_g ψ[o, i, g⁻¹h]`;
/// for C4 this is `out[r] = Σ_s f[s] ⋆ R^r ψ[(s − r) mod 4]`.
///
/// `T_g` is the plane action of `PlaneTransform` on the k × k filter (exact for C4/D4, bilinear
/// for other N, where every pose is also restricted to the disc inscribed in the k × k square
/// so that all poses share one support; base-filter samples outside it get no gradient).
/// Both maps are linear in ψ, and `baseGradient` is the exact transpose of
/// `expand`: every bank entry's gradient goes back through the inverse transform and the
/// contributions of all poses are summed onto the base filter they came from.
public struct FilterExpansion: Sendable {
    /// Which convolution the bank is for.
    public enum Kind: String, Sendable, Codable {
        /// Image channels → fields × poses.
        case lifting
        /// Fields × poses → fields × poses.
        case group
    }

    /// The symmetry group.
    public let group: Group
    /// Lifting or group.
    public let kind: Kind
    /// Output fields.
    public let outputFields: Int
    /// Input channels (lifting) or input fields (group).
    public let inputFields: Int
    /// Filter extent k (filters are k × k).
    public let kernelSize: Int
    /// T_g on a k × k filter, one per element, in storage order.
    let transforms: [PlaneTransform]
    /// `[g][h] = index(g⁻¹·h)`.
    let relativePose: [[Int]]

    /// Precomputes the transforms of every element on k × k filters.
    public init(group: Group, kind: Kind, outputFields: Int, inputFields: Int, kernelSize: Int) {
        precondition(outputFields > 0 && inputFields > 0 && kernelSize > 0,
                     "filter expansion needs positive sizes, got \(outputFields), \(inputFields), "
                     + "\(kernelSize)")
        self.group = group
        self.kind = kind
        self.outputFields = outputFields
        self.inputFields = inputFields
        self.kernelSize = kernelSize
        let exact = group.isExactOnPixelGrid
        transforms = group.elements.map {
            let transform = PlaneTransform(group: group, element: $0, height: kernelSize,
                                           width: kernelSize)
            // Interpolated rotations would cut the corners of some poses only: restrict every
            // pose to the inscribed disc (radius (k − 1)/2 + ½) so all share one support.
            return exact ? transform : transform.maskedToDisc(radius: Double(kernelSize) / 2)
        }
        relativePose = (0..<group.order).map { g in
            (0..<group.order).map { h in group.composeIndex(group.inverseIndex(g), h) }
        }
    }

    /// Shape of the base filters: (Cout, Cin, k, k) for lifting, (Cout, Cin, |G|, k, k) for
    /// group convolutions.
    public var baseShape: [Int] {
        kind == .lifting ? [outputFields, inputFields, kernelSize, kernelSize]
            : [outputFields, inputFields, group.order, kernelSize, kernelSize]
    }

    /// Shape of the bank: (Cout·|G|, Cin, k, k) for lifting, (Cout·|G|, Cin·|G|, k, k) for
    /// group convolutions.
    public var bankShape: [Int] {
        [outputFields * group.order, kind == .lifting ? inputFields : inputFields * group.order,
         kernelSize, kernelSize]
    }

    /// The bank built from base filters of `baseShape`.
    public func expand(_ base: Tensor) -> Tensor {
        precondition(base.shape == baseShape,
                     "base filters of a \(kind) convolution over \(group) must be \(baseShape), "
                     + "got \(base.shape)")
        var bank = [Float](repeating: 0, count: bankShape.reduce(1, *))  // (Cout·G, ·, k, k)
        let plane = kernelSize * kernelSize
        base.storage.withUnsafeBufferPointer { source in
            bank.withUnsafeMutableBufferPointer { destination in
                guard let src = source.baseAddress, let dst = destination.baseAddress else {
                    return
                }
                forEachPair { sourcePlane, bankPlane, g in
                    transforms[g].apply(src + sourcePlane * plane, into: dst + bankPlane * plane)
                }
            }
        }
        return Tensor(shape: bankShape, storage: bank)
    }

    /// The gradient of the base filters given the gradient of the bank (the transpose of
    /// `expand`): `∂ψ[o, i, s] = Σ_g T_gᵀ ∂bank[o·|G| + g, i·|G| + g·s]`.
    public func baseGradient(bankGradient: Tensor) -> Tensor {
        precondition(bankGradient.shape == bankShape,
                     "bank gradient must be \(bankShape), got \(bankGradient.shape)")
        var gradient = [Float](repeating: 0, count: baseShape.reduce(1, *))  // baseShape
        let plane = kernelSize * kernelSize
        bankGradient.storage.withUnsafeBufferPointer { source in
            gradient.withUnsafeMutableBufferPointer { destination in
                guard let src = source.baseAddress, let dst = destination.baseAddress else {
                    return
                }
                forEachPair { basePlane, bankPlane, g in
                    transforms[g].applyTransposed(src + bankPlane * plane,
                                                  addingInto: dst + basePlane * plane)
                }
            }
        }
        return Tensor(shape: baseShape, storage: gradient)
    }

    /// Visits every (base plane, bank plane, pose g) triple with bank plane = T_g base plane.
    @inline(__always)
    private func forEachPair(_ body: (_ basePlane: Int, _ bankPlane: Int, _ g: Int) -> Void) {
        let order = group.order
        switch kind {
        case .lifting:
            for o in 0..<outputFields {
                for g in 0..<order {
                    for i in 0..<inputFields {
                        body(o * inputFields + i, (o * order + g) * inputFields + i, g)
                    }
                }
            }
        case .group:
            let bankColumns = inputFields * order
            for o in 0..<outputFields {
                for g in 0..<order {
                    let relative = relativePose[g]
                    for i in 0..<inputFields {
                        for h in 0..<order {
                            let basePlane = (o * inputFields + i) * order + relative[h]
                            let bankPlane = (o * order + g) * bankColumns + i * order + h
                            body(basePlane, bankPlane, g)
                        }
                    }
                }
            }
        }
    }
}
