import CDNNL
import Synchronization

/// One convolution layer for inference through oneDNN: the forward pass of `Conv2DKernels`
/// (same formula, layouts, stride and padding), optionally followed by max(·, 0), for fixed
/// weights. There is no backward twin: training keeps `Conv2DKernels`, the reference this is
/// tested against.
///
/// Layouts: callers keep (N, C, H, W). oneDNN's direct kernels (`brgconv`, JIT AVX-512 or
/// AVX2, chosen by the CPU at run time) want channels last, so each call reorders the input
/// (N, Cin, H, W) → (N, H, W, Cin), convolves into (N, Ho, Wo, Cout) with the bias and ReLU
/// fused (a post-op), and reorders back; a side with one channel needs no reorder (both layouts
/// are the same bytes). On plain (N, C, H, W) oneDNN falls back to im2col + GEMM, slower than
/// `Conv2DKernels` (measured in docs/performance.md).
///
/// Threads: the batch is split over `ThreadPolicy.parallel`, and each chunk runs oneDNN at one
/// OpenMP thread. oneDNN's own OpenMP pool is never used: its idle threads spin for
/// milliseconds after every call (libgomp's default wait policy, fixed when the library
/// loads), which took a core from the pooling and copies that follow each convolution and
/// made whole models slower (docs/performance.md).
///
/// Per chunk size or row band, input extent, stride, padding and layout, the first call creates
/// a plan and caches it: the convolution primitive, the two reorders, and the weights reordered
/// once into the layout the primitive chose. Later calls allocate only the channels-last copies
/// and the output (none of it for `forwardChannelsLast` given a `BufferPool`); scratchpads are
/// reused from one execution to the next. Safe to call from several threads at once: plans are guarded by a `Mutex` and
/// immutable once built, and every call brings its own stream, memory objects and scratchpad.
public final class OneDNNConvolution: Sendable {
    /// (Cout, Cin, kH, kW), as given.
    public let weight: Tensor
    /// (Cout); zeros when built without a bias.
    public let bias: Tensor
    /// Whether max(·, 0) follows the convolution.
    public let relu: Bool

    private let plans = Mutex<[PlanKey: Plan]>([:])

    /// A convolution by `weight` (Cout, Cin, kH, kW) plus `bias` (Cout), then ReLU when
    /// `relu`. Throws when oneDNN cannot start in this process.
    public init(weight: Tensor, bias: Tensor?, relu: Bool) throws {
        _ = try OneDNN.shared.get()
        precondition(weight.rank == 4,
                     "OneDNNConvolution weight must be (Cout, Cin, kH, kW), got \(weight.shape)")
        let outChannels = weight.shape[0]
        if let bias {
            precondition(bias.shape == [outChannels],
                         "OneDNNConvolution bias must be (\(outChannels)), got \(bias.shape)")
        }
        self.weight = weight
        self.bias = bias ?? Tensor(zeros: [outChannels])
        self.relu = relu
    }

    /// y = conv(x) + b (then ReLU), x (N, Cin, H, W) → (N, Cout, Ho, Wo). The work is split
    /// over the workers by images, or, when there are fewer images than workers, by bands of
    /// output rows of each image (each band reads its input rows in place, halo included, and
    /// writes its output rows in place). Throws when oneDNN refuses the shape or fails;
    /// callers then use `Conv2DKernels`.
    public func forward(_ input: Tensor, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        let g = Conv2DKernels.Geometry(inputShape: input.shape, weightShape: weight.shape,
                                       stride: stride, padding: padding)
        let output = try run(input, geometry: g, channelsLast: false, pool: nil)
        return Tensor(shape: g.outputShape, storage: output)
    }

    /// The same convolution on channels-last maps: x (N, H, W, Cin) → (N, Ho, Wo, Cout), the
    /// layout oneDNN's direct kernels compute in, so no reorder runs. A model whose every
    /// layer keeps this layout (`EquivariantUNet`'s channels-last inference) pays for layout
    /// changes only at its input and output. Split over the workers like `forward`; a band of
    /// rows is one contiguous range here. The output comes from `pool` when one is given.
    public func forwardChannelsLast(_ input: Tensor, stride: Int = 1, padding: Int = 0,
                                    pool: BufferPool? = nil) throws -> Tensor {
        precondition(input.rank == 4 && input.shape[3] == weight.shape[1],
                     "forwardChannelsLast input must be (N, H, W, \(weight.shape[1])), got "
                     + "\(input.shape)")
        let s = input.shape
        let g = Conv2DKernels.Geometry(inputShape: [s[0], s[3], s[1], s[2]],
                                       weightShape: weight.shape, stride: stride,
                                       padding: padding)
        let output = try run(input, geometry: g, channelsLast: true, pool: pool)
        return Tensor(shape: [g.batch, g.outHeight, g.outWidth, g.outChannels], storage: output)
    }

    /// The output samples of `input` convolved as `g` describes, in the input's layout.
    private func run(_ input: Tensor, geometry g: Conv2DKernels.Geometry, channelsLast: Bool,
                     pool: BufferPool?) throws -> [Float] {
        let workers = ThreadPolicy.chunkCount(count: Int.max)
        let bands = g.batch >= workers ? 1 : min((workers + g.batch - 1) / g.batch, g.outHeight)
        let rows = (g.outHeight + bands - 1) / bands  // output rows per band (last may be short)
        let items = bands == 1 ? g.batch : g.batch * bands
        // Offsets of a row in the input and output: one row of one plane in (N, C, H, W), all
        // channels of one row in (N, H, W, C).
        let inRow = channelsLast ? g.width * g.inChannels : g.width
        let outRow = channelsLast ? g.outWidth * g.outChannels : g.outWidth
        let failure = Mutex<(any Error)?>(nil)  // the first error of any chunk
        // Every output sample is written by exactly one chunk below.
        let total = g.batch * g.outImageSize
        var output = pool?.take(count: total) ?? BufferPool.fresh(count: total)
        output.withUnsafeMutableBufferPointer { buffer in
            input.storage.withUnsafeBufferPointer { x in          // (N, Cin, H, W) or (N, H, W, Cin)
            bias.storage.withUnsafeBufferPointer { b in           // (Cout)
                // Each chunk reads its own images (or bands with their halo) and writes only
                // the output rows of its own images or bands.
                let (xs, bs, ys) = (RegionPointer(x.baseAddress), RegionPointer(b.baseAddress),
                                    RegionPointer(buffer.baseAddress))
                ThreadPolicy.parallel(count: items) { _, range in
                    guard let xp = xs.pointer, let bp = bs.pointer, let yp = ys.pointer else {
                        return
                    }
                    omp_set_num_threads(1)  // per thread: this chunk's calls stay on this thread
                    do {
                        if bands == 1 {
                            let key = PlanKey(geometry: g, batch: range.count,
                                              channelsLast: channelsLast)
                            try self.plan(key).run(
                                input: xp + range.lowerBound * g.inImageSize, bias: bp,
                                output: yp + range.lowerBound * g.outImageSize)
                            return
                        }
                        for item in range {
                            let (image, band) = (item / bands, item % bands)
                            let first = band * rows, count = min(rows, g.outHeight - first)
                            guard count > 0 else { continue }
                            let key = PlanKey(geometry: g, outputRows: first..<(first + count),
                                              channelsLast: channelsLast)
                            let inputRow = max(0, first * g.stride - g.padding)
                            try self.plan(key).run(
                                input: xp + image * g.inImageSize + inputRow * inRow, bias: bp,
                                output: yp + image * g.outImageSize + first * outRow)
                        }
                    } catch {
                        failure.withLock { $0 = $0 ?? error }
                    }
                }
            }}
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return output
    }

    /// oneDNN's name for the kernel it picks for inputs of `inputShape` (N, Cin, H, W) run
    /// whole, e.g. "brgconv:avx512_core".
    public func implementation(inputShape: [Int], stride: Int = 1,
                               padding: Int = 0) throws -> String {
        let g = Conv2DKernels.Geometry(inputShape: inputShape, weightShape: weight.shape,
                                       stride: stride, padding: padding)
        omp_set_num_threads(1)
        return try plan(PlanKey(geometry: g, batch: g.batch, channelsLast: false)).implementation
    }

    /// The cached plan for `key`, built on first use (outside the lock: threads that miss
    /// together each build one and the last stores it).
    private func plan(_ key: PlanKey) throws -> Plan {
        if let cached = plans.withLock({ $0[key] }) { return cached }
        let fresh = try Plan(key, weight: weight, relu: relu)
        plans.withLock { $0[key] = fresh }
        return fresh
    }
}

/// The part of a convolution one oneDNN call computes: `batch` whole images, or output rows
/// `outputRows` of one image. Its input is `rows` rows of the image, starting at row
/// max(0, s·first − p), with `padTop` / `padBottom` zero rows added above / below and
/// `padding` columns left and right; plain (N, C, H, W) views keep the strides of whole
/// images (`imageRows`, `imageOutRows`), so bands are read and written in place. With
/// `channelsLast` the caller's buffers are (N, H, W, C) already and no reorder runs.
private struct PlanKey: Hashable {
    var channelsLast: Bool
    var batch: Int, inChannels: Int, rows: Int, width: Int, imageRows: Int
    var outChannels: Int, kernelHeight: Int, kernelWidth: Int
    var stride: Int, padding: Int, padTop: Int, padBottom: Int
    var outRows: Int, outWidth: Int, imageOutRows: Int

    /// `batch` whole images of `g`.
    init(geometry g: Conv2DKernels.Geometry, batch: Int, channelsLast: Bool) {
        self.channelsLast = channelsLast
        self.batch = batch
        (inChannels, rows, width, imageRows) = (g.inChannels, g.height, g.width, g.height)
        (outChannels, kernelHeight, kernelWidth) = (g.outChannels, g.kernelHeight, g.kernelWidth)
        (stride, padding, padTop, padBottom) = (g.stride, g.padding, g.padding, g.padding)
        (outRows, outWidth, imageOutRows) = (g.outHeight, g.outWidth, g.outHeight)
    }

    /// Output rows `band` of one image of `g`: input rows s·first − p ..< s·(last) − p + kH,
    /// clipped to the image, the clipped part becoming zero padding.
    init(geometry g: Conv2DKernels.Geometry, outputRows band: Range<Int>, channelsLast: Bool) {
        self.init(geometry: g, batch: 1, channelsLast: channelsLast)
        let top = band.lowerBound * g.stride - g.padding
        let bottom = (band.upperBound - 1) * g.stride - g.padding + g.kernelHeight
        let (clippedTop, clippedBottom) = (max(0, top), min(g.height, bottom))
        rows = clippedBottom - clippedTop
        padTop = clippedTop - top
        padBottom = bottom - clippedBottom
        outRows = band.count
    }
}

/// oneDNN objects for one layer and input shape: created once, then only executed.
private final class Plan: @unchecked Sendable {
    // @unchecked: every stored property is set in `init` and never changed; oneDNN primitives
    // may be executed from several threads at once when each execution has its own stream,
    // memory objects and (user-mode) scratchpad, which `run` provides.
    let key: PlanKey
    let convolution: Step
    /// (N, Cin, rows, W) → (N, rows, W, Cin); nil for one whole-image channel.
    let inputReorder: Step?
    /// (N, outRows, Wo, Cout) → (N, Cout, outRows, Wo); nil for one whole-image channel.
    let outputReorder: Step?
    let sourcePlain: dnnl_memory_desc_t, sourceLast: dnnl_memory_desc_t
    let destinationLast: dnnl_memory_desc_t, destinationPlain: dnnl_memory_desc_t
    let weightDescriptor: dnnl_memory_desc_t, biasDescriptor: dnnl_memory_desc_t
    /// The weights in the layout `convolution` chose, reordered once.
    let weights: AlignedBuffer
    let implementation: String

    init(_ g: PlanKey, weight: Tensor, relu: Bool) throws {
        let engine = try OneDNN.shared.get().engine
        key = g
        let dims = { (a: Int, b: Int, c: Int, d: Int) in [Int64(a), Int64(b), Int64(c), Int64(d)] }
        let source = dims(g.batch, g.inChannels, g.rows, g.width)
        let destination = dims(g.batch, g.outChannels, g.outRows, g.outWidth)
        sourcePlain = try descriptor(source, strides: dims(g.inChannels * g.imageRows * g.width,
                                                           g.imageRows * g.width, g.width, 1))
        sourceLast = try descriptor(source, dnnl_nhwc)
        destinationPlain = try descriptor(
            destination, strides: dims(g.outChannels * g.imageOutRows * g.outWidth,
                                       g.imageOutRows * g.outWidth, g.outWidth, 1))
        destinationLast = try descriptor(destination, dnnl_nhwc)
        let weightPlain = try descriptor(
            dims(g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth), dnnl_oihw)
        let weightAny = try descriptor(
            dims(g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth), dnnl_format_tag_any)
        var bias = dnnl_memory_desc_t()
        try OneDNN.check(dnnl_memory_desc_init_by_tag(&bias, 1, [Int64(g.outChannels)],
                                                      dnnl_f32, dnnl_a),
                         "dnnl_memory_desc_init_by_tag")
        biasDescriptor = bias

        var operation = dnnl_convolution_desc_t()
        var (sourceLast, weightAnyCopy, destinationLast) = (sourceLast, weightAny,
                                                            destinationLast)
        let strides = [Int64(g.stride), Int64(g.stride)]
        let before = [Int64(g.padTop), Int64(g.padding)]
        let after = [Int64(g.padBottom), Int64(g.padding)]
        try OneDNN.check(dnnl_convolution_forward_desc_init(
            &operation, dnnl_forward_inference, dnnl_convolution_direct, &sourceLast,
            &weightAnyCopy, &bias, &destinationLast, strides, before, after),
                         "dnnl_convolution_forward_desc_init")
        convolution = try Step(operation: &operation, relu: relu, engine: engine)
        weightDescriptor = convolution.descriptor(dnnl_query_weights_md)
        implementation = convolution.implementation

        // Channels-last callers, or one channel of whole images: nothing to reorder.
        inputReorder = g.channelsLast || (g.inChannels == 1 && g.rows == g.imageRows) ? nil
            : try Step(reorderFrom: sourcePlain, to: sourceLast, engine: engine)
        outputReorder = g.channelsLast || (g.outChannels == 1 && g.outRows == g.imageOutRows)
            ? nil : try Step(reorderFrom: destinationLast, to: destinationPlain, engine: engine)

        var chosen = weightDescriptor
        weights = AlignedBuffer(bytes: dnnl_memory_desc_get_size(&chosen))
        let reorder = try Step(reorderFrom: weightPlain, to: weightDescriptor, engine: engine)
        try weight.storage.withUnsafeBufferPointer { w in  // (Cout, Cin, kH, kW)
            try reorder.execute([(DNNL_ARG_FROM, weightPlain, UnsafeMutableRawPointer(
                                    mutating: w.baseAddress)),
                                 (DNNL_ARG_TO, weightDescriptor, weights.pointer)],
                                engine: engine)
        }
    }

    /// One forward pass of `input` (N, Cin, rows, W, in whole-image strides) with `bias`
    /// (Cout) into `output` (N, Cout, outRows, Wo, likewise): reorder in, convolve (bias and
    /// ReLU fused), reorder out. Channels-last plans convolve `input` (N, rows, W, Cin) into
    /// `output` (N, outRows, Wo, Cout) directly.
    func run(input: UnsafePointer<Float>, bias: UnsafePointer<Float>,
             output: UnsafeMutablePointer<Float>) throws {
        let engine = try OneDNN.shared.get().engine
        let g = key
        let last = inputReorder.map { _ in  // (N, rows, W, Cin)
            AlignedBuffer(bytes: g.batch * g.rows * g.width * g.inChannels * 4) }
        let result = outputReorder.map { _ in  // (N, outRows, Wo, Cout)
            AlignedBuffer(bytes: g.batch * g.outRows * g.outWidth * g.outChannels * 4) }
        let plainIn = UnsafeMutableRawPointer(mutating: input)
        let plainOut = UnsafeMutableRawPointer(output)
        if let inputReorder, let last {
            try inputReorder.execute([(DNNL_ARG_FROM, sourcePlain, plainIn),
                                      (DNNL_ARG_TO, sourceLast, last.pointer)], engine: engine)
        }
        try convolution.execute(
            [(DNNL_ARG_SRC, sourceLast, last?.pointer ?? plainIn),
             (DNNL_ARG_WEIGHTS, weightDescriptor, weights.pointer),
             (DNNL_ARG_BIAS, biasDescriptor, UnsafeMutableRawPointer(mutating: bias)),
             (DNNL_ARG_DST, destinationLast, result?.pointer ?? plainOut)],
            engine: engine)
        if let outputReorder, let result {
            try outputReorder.execute([(DNNL_ARG_FROM, destinationLast, result.pointer),
                                       (DNNL_ARG_TO, destinationPlain, plainOut)],
                                      engine: engine)
        }
    }
}

/// A memory descriptor of f32 samples with extents `dims` and the given `strides` (samples).
private func descriptor(_ dims: [Int64], strides: [Int64]) throws -> dnnl_memory_desc_t {
    var result = dnnl_memory_desc_t()
    try OneDNN.check(dnnl_memory_desc_init_by_strides(&result, Int32(dims.count), dims, dnnl_f32,
                                                      strides),
                     "dnnl_memory_desc_init_by_strides")
    return result
}

/// A memory descriptor of f32 samples with extents `dims` in the layout `tag`.
private func descriptor(_ dims: [Int64], _ tag: dnnl_format_tag_t) throws -> dnnl_memory_desc_t {
    var result = dnnl_memory_desc_t()
    try OneDNN.check(dnnl_memory_desc_init_by_tag(&result, Int32(dims.count), dims, dnnl_f32, tag),
                     "dnnl_memory_desc_init_by_tag")
    return result
}

/// One oneDNN primitive with its descriptor, created with a user-managed scratchpad so that
/// concurrent executions never share one.
private final class Step {
    let descriptorHandle: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// Bytes of scratchpad one execution needs (0: none).
    let scratchpadBytes: Int
    /// Scratchpads of finished executions, handed to the next ones (one per execution running
    /// at once), so that none allocates and first-touches its own.
    private let spareScratchpads = Mutex<[AlignedBuffer]>([])

    /// A forward convolution for `operation`, with ReLU as a post-op when `relu`.
    convenience init(operation: inout dnnl_convolution_desc_t, relu: Bool,
                     engine: dnnl_engine_t) throws {
        try self.init(engine: engine, relu: relu) { descriptor, attributes in
            dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, nil)
        }
    }

    /// A reorder from `source` to `destination` (same extents, other layouts).
    convenience init(reorderFrom source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t,
                     engine: dnnl_engine_t) throws {
        var (source, destination) = (source, destination)
        try self.init(engine: engine, relu: false) { descriptor, attributes in
            dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &destination,
                                               engine, attributes)
        }
    }

    private init(engine: dnnl_engine_t, relu: Bool,
                 create: (inout dnnl_primitive_desc_t?, dnnl_primitive_attr_t?) -> dnnl_status_t)
        throws {
        var attributes: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attributes,
                                                                 dnnl_scratchpad_mode_user),
                         "dnnl_primitive_attr_set_scratchpad_mode")
        if relu {
            var postOps: dnnl_post_ops_t?
            try OneDNN.check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            try OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0),
                             "dnnl_post_ops_append_eltwise")
            try OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps),
                             "dnnl_primitive_attr_set_post_ops")
        }
        var descriptor: dnnl_primitive_desc_t?
        try OneDNN.check(create(&descriptor, attributes), "dnnl_primitive_desc_create")
        guard let descriptor else {
            throw OneDNNError(function: "dnnl_primitive_desc_create", status: "none returned")
        }
        var primitive: dnnl_primitive_t?
        do {
            try OneDNN.check(dnnl_primitive_create(&primitive, descriptor), "dnnl_primitive_create")
        } catch {
            dnnl_primitive_desc_destroy(descriptor)
            throw error
        }
        guard let primitive else {
            dnnl_primitive_desc_destroy(descriptor)
            throw OneDNNError(function: "dnnl_primitive_create", status: "none returned")
        }
        descriptorHandle = descriptor
        self.primitive = primitive
        var scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0)
            .map { $0.pointee } ?? dnnl_memory_desc_t()
        scratchpadBytes = dnnl_memory_desc_get_size(&scratchpad)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptorHandle)
    }

    /// The memory descriptor the primitive chose for `query` (e.g. its weights).
    func descriptor(_ query: dnnl_query_t) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptorHandle, query, 0).map { $0.pointee }
            ?? dnnl_memory_desc_t()
    }

    /// oneDNN's name for the implementation, e.g. "brgconv:avx512_core".
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptorHandle, dnnl_query_impl_info_str, 0,
                                        &name) == dnnl_success, let name else { return "unknown" }
        return String(cString: name)
    }

    /// Executes once on a stream of its own; `arguments` are (oneDNN argument, descriptor,
    /// caller-owned buffer), and the buffers must outlive the call.
    func execute(_ arguments: [(Int32, dnnl_memory_desc_t, UnsafeMutableRawPointer?)],
                 engine: dnnl_engine_t) throws {
        var memories: [dnnl_memory_t] = []
        defer { for memory in memories { dnnl_memory_destroy(memory) } }
        var executionArguments: [dnnl_exec_arg_t] = []
        let scratchpad = scratchpadBytes == 0 ? nil
            : spareScratchpads.withLock { $0.popLast() } ?? AlignedBuffer(bytes: scratchpadBytes)
        defer { if let scratchpad { spareScratchpads.withLock { $0.append(scratchpad) } } }
        var all = arguments
        if let scratchpad {
            all.append((DNNL_ARG_SCRATCHPAD, descriptor(dnnl_query_scratchpad_md),
                        scratchpad.pointer))
        }
        for (argument, descriptor, buffer) in all {
            var descriptor = descriptor
            var memory: dnnl_memory_t?
            try OneDNN.check(dnnl_memory_create(&memory, &descriptor, engine, buffer),
                             "dnnl_memory_create")
            guard let memory else {
                throw OneDNNError(function: "dnnl_memory_create", status: "none returned")
            }
            memories.append(memory)
            executionArguments.append(dnnl_exec_arg_t(arg: argument, memory: memory))
        }
        var stream: dnnl_stream_t?
        try OneDNN.check(dnnl_stream_create(&stream, engine,
                                            UInt32(dnnl_stream_default_flags.rawValue)),
                         "dnnl_stream_create")
        defer { dnnl_stream_destroy(stream) }
        try OneDNN.check(dnnl_primitive_execute(primitive, stream, Int32(executionArguments.count),
                                                executionArguments),
                         "dnnl_primitive_execute")
        try OneDNN.check(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }
}

/// Bytes aligned for vector loads (64), freed with the object.
private final class AlignedBuffer: @unchecked Sendable {
    // @unchecked: the address never changes; whoever holds the buffer alone uses its bytes.
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
    }

    deinit { pointer.deallocate() }
}
