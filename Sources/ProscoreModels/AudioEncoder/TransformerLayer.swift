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

    /// `x`: `[frames, hidden]` → the layer's output for those frames. `leftContext`: the
    /// layer's inputs for earlier frames that attention may also look at (streaming with
    /// cached states); no outputs are computed for them.
    public func callAsFunction(_ x: Tensor, leftContext: Tensor? = nil) -> Tensor {
        if preNorm {
            var normed = x
            attentionNorm(&normed)
            var normedLeft = leftContext
            if normedLeft != nil { attentionNorm(&normedLeft!) }
            var h = x
            add(attention(normed, leftContext: normedLeft), to: &h)
            var f = h
            finalNorm(&f)
            add(feedForward(f), to: &h)
            return h
        } else {
            var h = x
            add(attention(x, leftContext: leftContext), to: &h)
            attentionNorm(&h)
            add(feedForward(h), to: &h)
            finalNorm(&h)
            return h
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
