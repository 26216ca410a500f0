/// `y = x · Wᵀ + b` on time-major rows, weights in PyTorch's `[out, in]` layout.
///
/// The weights are kept either row-major (products through OpenBLAS) or, where the CPU
/// runs the packed kernel, only as a `PackedMatrix`; never both.
public struct Linear: Sendable {
    private let dense: Tensor?
    private let packed: PackedMatrix?
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int

    /// `packed`: store the weights for the packed kernel (where the CPU runs it).
    public init(weight: Tensor, bias: Tensor?, packed: Bool = PackedMatrix.isEnabled) {
        precondition(weight.rank == 2, "Linear weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Linear bias must be [out]")
        self.packed = packed ? PackedMatrix(weight) : nil
        dense = self.packed == nil ? weight : nil
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    /// Whether products run through the packed kernel.
    public var isPacked: Bool { packed != nil }

    /// The `[out, in]` weights (unpacked into a new tensor when they are stored packed).
    public var weight: Tensor { dense ?? packed!.unpacked() }

    /// `x`: `[rows, in]` → `[rows, out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures, "Linear expects \(inFeatures) features, got \(x.shape)")
        var y = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        x.withUnsafePointer { xp in
            y.withUnsafeMutablePointer { yp in apply(xp, rows: x.rows, ldx: inFeatures, into: yp, ldy: outFeatures) }
        }
        return y
    }

    /// Writes `rows` output rows to `y` (row stride `ldy`) from input rows of stride `ldx`.
    public func apply(_ x: UnsafePointer<Float>, rows: Int, ldx: Int,
                      into y: UnsafeMutablePointer<Float>, ldy: Int) {
        let n = outFeatures
        if let bias {
            bias.withUnsafePointer { b in
                for r in 0..<rows { (y + r * ldy).update(from: b, count: n) }
            }
        }
        if let packed {
            // Threads take whole panels of output columns when the product is big enough.
            let minimumPanels = max(1, (1 << 21) / max(1, rows * inFeatures * PackedMatrix.panelColumns))
            Compute.parallelRanges(packed.panelCount, minimumPerThread: minimumPanels) { panels in
                packed.multiply(x, rows: rows, ldx: ldx, into: y, ldy: ldy, accumulate: bias != nil, panels: panels)
            }
            return
        }
        dense!.withUnsafePointer { w in
            Compute.gemm(.none, .transpose, m: rows, n: n, k: inFeatures,
                         a: x, lda: ldx, b: w, ldb: inFeatures,
                         beta: bias == nil ? 0 : 1, c: y, ldc: ldy)
        }
    }
}
