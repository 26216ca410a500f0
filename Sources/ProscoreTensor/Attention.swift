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
    /// `false` the frames that no query may attend to (padding). `leftContext`, when given,
    /// holds earlier frames `[n, hidden]` that the queries also attend to (as keys and values)
    /// without producing outputs of their own: cached states in streaming.
    public func callAsFunction(_ x: Tensor, keyMask: [Bool]? = nil, leftContext: Tensor? = nil) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == hidden)
        let queries = x.shape[0]
        let left = leftContext?.shape[0] ?? 0
        let t = left + queries
        precondition(keyMask == nil || keyMask!.count == t, "key mask must cover context and frames")
        let d = headDim
        let input: Tensor
        if let leftContext {
            precondition(leftContext.rank == 2 && leftContext.shape[1] == hidden)
            input = Tensor(shape: [t, hidden], scalars: leftContext.scalars + x.scalars)
        } else {
            input = x
        }
        let projected = qkv(input)  // [t, 3h]: q | k | v
        var context = Tensor(zeros: [queries, hidden])
        projected.withUnsafePointer { p in
            context.withUnsafeMutablePointer { c in
                // Heads are independent: split them across threads, one scores buffer each.
                Compute.parallelRanges(heads) { headRange in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: queries * t)
                    defer { scores.deallocate() }
                    for h in headRange {
                        let q = p + left * 3 * hidden + h * d, k = p + hidden + h * d, v = p + 2 * hidden + h * d
                        BLAS.gemm(.none, .transpose, m: queries, n: t, k: d,
                                  a: q, lda: 3 * hidden, b: k, ldb: 3 * hidden, c: scores, ldc: t)
                        if let keyMask {
                            for i in 0..<queries { for j in 0..<t where !keyMask[j] { scores[i * t + j] = -.infinity } }
                        }
                        Softmax.rows(scores, rows: queries, columns: t)
                        BLAS.gemm(.none, .none, m: queries, n: d, k: t,
                                  a: scores, lda: t, b: v, ldb: 3 * hidden, c: c + h * d, ldc: hidden)
                    }
                }
            }
        }
        return output(context)
    }
}
