/// Multi-head scaled dot-product self-attention over time-major `[frames, hidden]` input,
/// as `Wav2Vec2Attention` / `BertSelfAttention` compute it.
///
/// The query, key and value projections are fused into one `[3·hidden, hidden]` GEMM, with
/// the `1/√headDim` scale folded into the query rows.
public struct MultiHeadAttention: Sendable {
    public let heads: Int
    public let hidden: Int
    let qkv: Linear
    public let output: Linear

    public var headDim: Int { hidden / heads }

    public init(query: Linear, key: Linear, value: Linear, output: Linear, heads: Int) {
        let h = query.outFeatures
        precondition(h % heads == 0, "hidden size \(h) does not divide into \(heads) heads")
        for p in [query, key, value, output] {
            precondition(p.inFeatures == h && p.outFeatures == h, "attention projections must be [\(h), \(h)]")
        }
        let scale = 1 / Float(h / heads).squareRoot()
        var w = query.weight.scalars.map { $0 * scale }
        w += key.weight.scalars
        w += value.weight.scalars
        var b = (query.bias?.scalars ?? [Float](repeating: 0, count: h)).map { $0 * scale }
        b += key.bias?.scalars ?? [Float](repeating: 0, count: h)
        b += value.bias?.scalars ?? [Float](repeating: 0, count: h)
        qkv = Linear(weight: Tensor(shape: [3 * h, h], scalars: w), bias: Tensor(shape: [3 * h], scalars: b))
        self.output = output
        self.heads = heads
        self.hidden = h
    }

    /// `x`: `[frames, hidden]` → `[frames, hidden]`. `keyMask`, when given, marks with
    /// `false` the frames that no query may attend to (padding).
    public func callAsFunction(_ x: Tensor, keyMask: [Bool]? = nil) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == hidden)
        let t = x.shape[0]
        let d = headDim
        let projected = qkv(x)  // [t, 3h]: q | k | v
        var context = Tensor(zeros: [t, hidden])
        projected.withUnsafePointer { p in
            context.withUnsafeMutablePointer { c in
                // Heads are independent: split them across threads, one scores buffer each.
                Compute.parallelRanges(heads) { headRange in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: t * t)
                    defer { scores.deallocate() }
                    for h in headRange {
                        let q = p + h * d, k = p + hidden + h * d, v = p + 2 * hidden + h * d
                        BLAS.gemm(.none, .transpose, m: t, n: t, k: d,
                                  a: q, lda: 3 * hidden, b: k, ldb: 3 * hidden, c: scores, ldc: t)
                        if let keyMask {
                            for i in 0..<t { for j in 0..<t where !keyMask[j] { scores[i * t + j] = -.infinity } }
                        }
                        Softmax.rows(scores, rows: t, columns: t)
                        BLAS.gemm(.none, .none, m: t, n: d, k: t,
                                  a: scores, lda: t, b: v, ldb: 3 * hidden, c: c + h * d, ldc: hidden)
                    }
                }
            }
        }
        return output(context)
    }
}
