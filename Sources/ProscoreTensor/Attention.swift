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
        qkv = Linear(weight: Tensor(shape: [3 * h, h], scalars: w), bias: Tensor(shape: [3 * h], scalars: b),
                     packed: query.isPacked, precision: query.precision)
        self.output = output
        self.heads = heads
        self.hidden = h
    }

    /// `x`: `[frames, hidden]` → `[frames, hidden]` (one unpadded sequence).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        attend(x, cachedKeysValues: nil).output
    }

    /// Attention for the frames `x` when earlier frames' keys and values are cached
    /// (streaming): `cachedKeysValues` is `[n, 2·hidden]` (keys | values) of those frames.
    /// Returns the output for `x` and the keys and values of `x`, `[frames, 2·hidden]`, for
    /// the caller to cache.
    public func attend(_ x: Tensor, cachedKeysValues: Tensor?) -> (output: Tensor, keysValues: Tensor) {
        precondition(x.rank == 2 && x.shape[1] == hidden)
        let queries = x.shape[0]
        let cached = cachedKeysValues?.shape[0] ?? 0
        let t = cached + queries
        let d = headDim
        let projected = qkv(x)  // [queries, 3h]: q | k | v
        // Keys and values of cached frames, then of the new ones: [t, 2h].
        var keysValues = Tensor(zeros: [t, 2 * hidden])
        keysValues.withUnsafeMutablePointer { kv in
            if let cachedKeysValues {
                precondition(cachedKeysValues.shape == [cached, 2 * hidden], "cached keys and values must be [n, 2·hidden]")
                cachedKeysValues.withUnsafePointer { kv.update(from: $0, count: cached * 2 * hidden) }
            }
            projected.withUnsafePointer { p in
                for r in 0..<queries { (kv + (cached + r) * 2 * hidden).update(from: p + r * 3 * hidden + hidden, count: 2 * hidden) }
            }
        }
        var context = Tensor(zeros: [queries, hidden])
        projected.withUnsafePointer { p in
            keysValues.withUnsafePointer { kv in
                context.withUnsafeMutablePointer { c in
                    // Heads are independent: split them across threads, one scores buffer each.
                    Compute.parallelRanges(heads) { headRange in
                        let scores = UnsafeMutablePointer<Float>.allocate(capacity: queries * t)
                        defer { scores.deallocate() }
                        for h in headRange {
                            BLAS.gemm(.none, .transpose, m: queries, n: t, k: d,
                                      a: p + h * d, lda: 3 * hidden, b: kv + h * d, ldb: 2 * hidden, c: scores, ldc: t)
                            Softmax.rows(scores, rows: queries, columns: t)
                            BLAS.gemm(.none, .none, m: queries, n: d, k: t,
                                      a: scores, lda: t, b: kv + hidden + h * d, ldb: 2 * hidden, c: c + h * d, ldc: hidden)
                        }
                    }
                }
            }
        }
        return (output(context), keysValues.rows(cached..<t))
    }
}
