/// `y = x · Wᵀ + b` on time-major rows, weights in PyTorch's `[out, in]` layout.
///
/// The weights are kept in one form only: row-major (products through OpenBLAS), as a
/// `PackedMatrix` where the CPU runs the packed fp32 kernel, or quantised as an
/// `Int8Matrix` when the layer computes in int8.
public struct Linear: Sendable {
    private let dense: Tensor?
    private let packed: PackedMatrix?
    private let quantised: Int8Matrix?
    public let bias: Tensor?
    public let inFeatures: Int
    public let outFeatures: Int

    /// `packed`: store the weights for the packed kernel (where the CPU runs it).
    /// `precision` `.int8` quantises them for the VNNI kernel (fp32 where the CPU lacks it).
    public init(weight: Tensor, bias: Tensor?, packed: Bool = PackedMatrix.isEnabled, precision: Precision = .fp32) {
        precondition(weight.rank == 2, "Linear weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Linear bias must be [out]")
        quantised = precision == .int8 ? Int8Matrix(weight) : nil
        self.packed = quantised == nil && packed ? PackedMatrix(weight) : nil
        dense = self.packed == nil && quantised == nil ? weight : nil
        self.bias = bias
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
    }

    /// Whether products run through the packed kernel.
    public var isPacked: Bool { packed != nil }

    /// The precision products actually run in.
    public var precision: Precision { quantised != nil ? .int8 : .fp32 }

    /// The `[out, in]` weights (unpacked into a new tensor when they are stored packed;
    /// dequantised when they are int8).
    public var weight: Tensor { dense ?? packed?.unpacked() ?? quantised!.dequantised() }

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
        if let quantised {
            if let bias {
                bias.withUnsafePointer { b in quantised.multiply(x, rows: rows, ldx: ldx, bias: b, into: y, ldy: ldy, accumulate: false) }
            } else {
                quantised.multiply(x, rows: rows, ldx: ldx, bias: nil, into: y, ldy: ldy, accumulate: false)
            }
            return
        }
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
