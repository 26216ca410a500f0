/// `y = x · Wᵀ + b` on time-major rows, weights in PyTorch's `[out, in]` layout.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Linear bias must be [out]")
        self.weight = weight
        self.bias = bias
    }

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
        weight.withUnsafePointer { w in
            Compute.gemm(.none, .transpose, m: rows, n: n, k: inFeatures,
                      a: x, lda: ldx, b: w, ldb: inFeatures,
                      beta: bias == nil ? 0 : 1, c: y, ldc: ldy)
        }
    }
}
