import ProscoreTensor

/// Position-wise feed-forward block: dense → activation → dense.
public struct FeedForward: Sendable {
    public let intermediate: Linear
    public let output: Linear
    public let activation: Activation

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = intermediate(x)
        activation.apply(&h)
        return output(h)
    }
}

/// One transformer encoder layer, post-norm (base checkpoints) or pre-norm
/// ("stable layer norm", large checkpoints), on `[frames, hidden]`.
public struct TransformerLayer: Sendable {
    public let attention: MultiHeadAttention
    public let attentionNorm: LayerNorm
    public let feedForward: FeedForward
    public let finalNorm: LayerNorm
    public let preNorm: Bool

    public func callAsFunction(_ x: Tensor) -> Tensor {
        forward(x, cachedKeysValues: nil).output
    }

    /// The layer's output for frames `x`, attending also to earlier frames whose attention
    /// keys and values are cached (`[n, 2·hidden]`); returns `x`'s keys and values too.
    public func forward(_ x: Tensor, cachedKeysValues: Tensor?) -> (output: Tensor, keysValues: Tensor) {
        if preNorm {
            var normed = x
            attentionNorm(&normed)
            let (a, keysValues) = attention.attend(normed, cachedKeysValues: cachedKeysValues)
            var h = x
            add(a, to: &h)
            var f = h
            finalNorm(&f)
            add(feedForward(f), to: &h)
            return (h, keysValues)
        } else {
            let (a, keysValues) = attention.attend(x, cachedKeysValues: cachedKeysValues)
            var h = x
            add(a, to: &h)
            attentionNorm(&h)
            add(feedForward(h), to: &h)
            finalNorm(&h)
            return (h, keysValues)
        }
    }
}

/// `accumulator += x`, elementwise.
@inline(__always)
func add(_ x: Tensor, to accumulator: inout Tensor) {
    precondition(x.shape == accumulator.shape)
    let n = x.count
    x.withUnsafePointer { xp in accumulator.withUnsafeMutablePointer { a in for i in 0..<n { a[i] += xp[i] } } }
}
