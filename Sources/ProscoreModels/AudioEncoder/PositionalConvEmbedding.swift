import ProscoreTensor

/// Relative position information added to the projected features before the transformer.
///
/// wav2vec2 and HuBERT use one wide grouped conv (kernel 128, weight-normed) followed by
/// GELU; data2vec-audio stacks several narrower grouped convs, each followed by a layer
/// norm without parameters and GELU. An even kernel yields one frame too many, which is
/// dropped from the end (`SamePad`).
public struct PositionalConvEmbedding: Sendable {
    public struct Layer: Sendable {
        public let conv: Conv1d
        /// data2vec-audio's parameter-free layer norm; `nil` for wav2vec2/HuBERT.
        public let norm: LayerNorm?

        func callAsFunction(_ x: Tensor) -> Tensor {
            var y = conv(x)
            if conv.kernelSize % 2 == 0 { y = y.rows(0..<(y.shape[0] - 1)) }
            norm?(&y)
            Activation.gelu.apply(&y)
            return y
        }
    }

    public let layers: [Layer]

    /// Kernel reach on each side, in frames (64 for wav2vec2-base).
    public var contextFrames: Int { layers.reduce(0) { $0 + $1.conv.padding } }

    /// `[frames, hidden]` → `[frames, hidden]` position embeddings.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}
