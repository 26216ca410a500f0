/// `torch.nn.Conv1d` (stride, zero padding, groups) on time-major `[frames, channels]` data.
///
/// With time-major rows, the receptive field of output frame `t` is the contiguous run of
/// `kernel · in` floats starting at row `stride · t`. For `groups == 1` that makes the
/// convolution a few GEMMs over overlapping strided row views of the input itself — no
/// im2col copy — as long as each GEMM covers at most `stride` taps (BLAS needs the row
/// stride to be at least the row length). Grouped or thin convolutions gather patches
/// (im2col) and run one GEMM per group. Where the packed kernel runs (`PackedMatrix`), it
/// reads overlapping row views directly: one product per group, any kernel and stride.
public struct Conv1d: Sendable {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let groups: Int
    /// Weights repacked from PyTorch's `[out, in/groups, kernel]` to `[out, kernel, in/groups]`
    /// (empty when `kernelWeights` holds them).
    let tapMajorWeight: [Float]
    /// The same weights as one `[out/groups, kernel · in/groups]` matrix per group for the
    /// packed GEMM kernel, where it runs (not for thin convs): one product per group over
    /// overlapping row views, with no im2col copy.
    let kernelWeights: [PackedMatrix]?
    /// For thin convolutions (a patch of at most `thinPatchLimit` inputs, e.g. the first
    /// wav2vec2 conv over raw samples): weights as `[kernel · in, out]`, so that one output
    /// frame is a short sum of weight rows scaled by input samples. A GEMM with such a
    /// small inner dimension wastes most of its time on packing.
    let thinWeight: [Float]?
    static let thinPatchLimit = 32
    /// In int8 (ungrouped convs that are not thin): the `[out, kernel · in]` weights
    /// quantised for the VNNI kernel; each output frame's input window is quantised per row.
    let quantisedWeight: Int8Matrix?
    public let bias: [Float]?

    /// Whether products run through the packed kernel.
    public var isPacked: Bool { kernelWeights != nil }

    /// The precision products actually run in.
    public var precision: Precision { quantisedWeight != nil ? .int8 : .fp32 }

    /// Number of weights, bias included.
    public var parameterCount: Int { outChannels * kernelSize * (inChannels / groups) + (bias?.count ?? 0) }

    /// `weight`: PyTorch layout `[out, in / groups, kernel]`; `bias`: `[out]`. `packed`: store
    /// the weights for the packed kernel (where the CPU runs it).
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, groups: Int = 1,
                packed usePackedKernel: Bool = PackedMatrix.isEnabled, precision: Precision = .fp32) {
        precondition(weight.rank == 3, "Conv1d weight must be [out, in/groups, kernel], got \(weight.shape)")
        let (cout, cinG, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        precondition(groups >= 1 && cout % groups == 0, "out channels must divide into groups")
        precondition(stride >= 1 && padding >= 0)
        precondition(bias == nil || bias!.shape == [cout], "Conv1d bias must be [out]")
        inChannels = cinG * groups
        outChannels = cout
        kernelSize = k
        self.stride = stride
        self.padding = padding
        self.groups = groups
        var packed = [Float](repeating: 0, count: weight.count)
        for o in 0..<cout {
            for i in 0..<cinG {
                for t in 0..<k { packed[(o * k + t) * cinG + i] = weight.scalars[(o * cinG + i) * k + t] }
            }
        }
        quantisedWeight = precision == .int8 && groups == 1 && k * cinG > Self.thinPatchLimit
            ? Int8Matrix(Tensor(shape: [cout, k * cinG], scalars: packed)) : nil
        if groups == 1 && k * cinG <= Self.thinPatchLimit {
            var thin = [Float](repeating: 0, count: packed.count)
            for o in 0..<cout { for j in 0..<(k * cinG) { thin[j * cout + o] = packed[o * k * cinG + j] } }
            thinWeight = thin
            kernelWeights = nil
        } else if quantisedWeight != nil {
            thinWeight = nil
            kernelWeights = nil
        } else if usePackedKernel {
            thinWeight = nil
            let coutG = cout / groups
            let perGroup = packed.withUnsafeBufferPointer { w in
                (0..<groups).compactMap { g in PackedMatrix(weight: w.baseAddress! + g * coutG * k * cinG, out: coutG, in: k * cinG) }
            }
            kernelWeights = perGroup.count == groups ? perGroup : nil
        } else {
            thinWeight = nil
            kernelWeights = nil
        }
        tapMajorWeight = kernelWeights == nil && quantisedWeight == nil ? packed : []
        self.bias = bias?.scalars
    }

    /// Output frames for `inputFrames` input frames (0 when the input is shorter than the kernel).
    public func outputFrames(inputFrames: Int) -> Int {
        let span = inputFrames + 2 * padding - kernelSize
        return span < 0 ? 0 : span / stride + 1
    }

    /// `x`: `[frames, in]` → `[outputFrames, out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inChannels,
                     "Conv1d expects [frames, \(inChannels)], got \(x.shape)")
        let frames = x.shape[0]
        var y = Tensor(zeros: [outputFrames(inputFrames: frames), outChannels])
        if padding > 0 {
            var padded = [Float](repeating: 0, count: (frames + 2 * padding) * inChannels)
            padded.withUnsafeMutableBufferPointer { p in
                x.withUnsafePointer { (p.baseAddress! + padding * inChannels).update(from: $0, count: x.count) }
            }
            y.withUnsafeMutablePointer { apply(padded, paddedFrames: frames + 2 * padding, into: $0) }
        } else {
            y.withUnsafeMutablePointer { yp in
                x.withUnsafePointer { apply($0, paddedFrames: frames, into: yp) }
            }
        }
        return y
    }

    /// Runs on already padded input of `paddedFrames` rows; writes `[outputFrames, out]` to `y`.
    /// Output frames are split across `Compute.threadCount` threads.
    public func apply(_ x: UnsafePointer<Float>, paddedFrames: Int, into y: UnsafeMutablePointer<Float>) {
        let tOut = outputFrames(inputFrames: paddedFrames - 2 * padding)
        guard tOut > 0 else { return }
        if let quantisedWeight {
            // Frame t's window is the `kernel · in` floats from row `stride · t`; each window is
            // quantised with its own scale (quiet frames keep their precision), then one product.
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    quantisedWeight.multiply(x, rows: tOut, ldx: stride * inChannels, bias: b.baseAddress, into: y, ldy: outChannels, accumulate: false)
                }
            } else {
                quantisedWeight.multiply(x, rows: tOut, ldx: stride * inChannels, bias: nil, into: y, ldy: outChannels, accumulate: false)
            }
            return
        }
        let macsPerFrame = outChannels * kernelSize * (inChannels / groups)
        Compute.parallelRanges(tOut, minimumPerThread: max(8, (1 << 21) / max(1, macsPerFrame))) { frames in
            apply(x + frames.lowerBound * stride * inChannels, frames: frames.count,
                  into: y + frames.lowerBound * outChannels)
        }
    }

    /// `frames` output frames whose receptive fields start at `x`, on the caller's thread.
    private func apply(_ x: UnsafePointer<Float>, frames tOut: Int, into y: UnsafeMutablePointer<Float>) {
        let cinG = inChannels / groups, coutG = outChannels / groups
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for t in 0..<tOut { (y + t * outChannels).update(from: b.baseAddress!, count: outChannels) }
            }
        }
        if let thinWeight {
            applyThin(x, frames: tOut, into: y, weight: thinWeight)
            return
        }
        if let kernelWeights {
            // Frame t's receptive field is the `kernel · in` floats from row `stride · t` (of
            // the group's channels, gathered into rows of their own when there are groups).
            if groups == 1 {
                kernelWeights[0].multiply(x, rows: tOut, ldx: stride * cinG, into: y, ldy: outChannels, accumulate: bias != nil)
                return
            }
            let rowsRead = (tOut - 1) * stride + kernelSize
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: rowsRead * cinG)
            defer { gathered.deallocate() }
            for g in 0..<groups {
                for r in 0..<rowsRead { (gathered + r * cinG).update(from: x + r * inChannels + g * cinG, count: cinG) }
                kernelWeights[g].multiply(gathered, rows: tOut, ldx: stride * cinG, into: y + g * coutG, ldy: outChannels,
                                          accumulate: bias != nil)
            }
            return
        }
        let firstBeta: Float = bias == nil ? 0 : 1
        tapMajorWeight.withUnsafeBufferPointer { wp in
            let w = wp.baseAddress!
            if groups == 1 && (kernelSize <= stride || stride * cinG >= 256) {
                // Overlapping row views: taps [t0, t0 + n) of every output frame are
                // `n · in` contiguous floats, rows `stride · in` apart.
                var t0 = 0
                while t0 < kernelSize {
                    let n = min(stride, kernelSize - t0)
                    BLAS.gemm(.none, .transpose, m: tOut, n: outChannels, k: n * cinG,
                              a: x + t0 * cinG, lda: stride * cinG,
                              b: w + t0 * cinG, ldb: kernelSize * cinG,
                              beta: t0 == 0 ? firstBeta : 1, c: y, ldc: outChannels)
                    t0 += n
                }
                return
            }
            // im2col per group: gather the group's channels for the rows these frames read
            // into a contiguous `[rows, in/groups]` block, where each frame's patch is one
            // run of `kernel · in/groups` floats, then one GEMM per group.
            let patch = kernelSize * cinG
            let rowsRead = (tOut - 1) * stride + kernelSize
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: rowsRead * cinG)
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: tOut * patch)
            defer { gathered.deallocate(); cols.deallocate() }
            for g in 0..<groups {
                let source: UnsafePointer<Float>
                if groups == 1 {
                    source = x
                } else {
                    for r in 0..<rowsRead { (gathered + r * cinG).update(from: x + r * inChannels + g * cinG, count: cinG) }
                    source = UnsafePointer(gathered)
                }
                for t in 0..<tOut { (cols + t * patch).update(from: source + t * stride * cinG, count: patch) }
                BLAS.gemm(.none, .transpose, m: tOut, n: coutG, k: patch,
                          a: cols, lda: patch,
                          b: w + g * coutG * patch, ldb: patch,
                          beta: firstBeta, c: y + g * coutG, ldc: outChannels)
            }
        }
    }

    /// Direct kernel for thin convolutions: `y[t] = bias + Σ_j x[stride·t·in + j] · W[j]`
    /// over the `kernel · in` patch inputs `j`, eight output channels per register.
    private func applyThin(_ x: UnsafePointer<Float>, frames tOut: Int, into y: UnsafeMutablePointer<Float>,
                           weight: [Float]) {
        typealias L = VectorMath.Lanes
        let patch = kernelSize * inChannels, n = outChannels, w = L.scalarCount
        let vectorEnd = n - n % w
        weight.withUnsafeBufferPointer { wb in
            let wt = wb.baseAddress!
            let zeros = [Float](repeating: 0, count: n)
            (bias ?? zeros).withUnsafeBufferPointer { bb in
                let b = bb.baseAddress!
                for t in 0..<tOut {
                    let xs = x + t * stride * inChannels
                    let out = y + t * n
                    var o = 0
                    while o < vectorEnd {
                        var acc = VectorMath.load(b + o)
                        for j in 0..<patch { acc += xs[j] * VectorMath.load(wt + j * n + o) }
                        VectorMath.store(acc, out + o)
                        o += w
                    }
                    while o < n {
                        var acc = b[o]
                        for j in 0..<patch { acc += xs[j] * wt[j * n + o] }
                        out[o] = acc
                        o += 1
                    }
                }
            }
        }
    }
}
