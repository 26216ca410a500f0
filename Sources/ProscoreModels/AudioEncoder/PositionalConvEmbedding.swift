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

    /// Position embeddings of rows `rows` only, the window `x` zero-padded at its edges as
    /// in the full computation (streaming computes just the new frames).
    public func callAsFunction(_ x: Tensor, rows: Range<Int>) -> Tensor {
        guard layers.count == 1, let layer = layers.first, layer.norm == nil else {
            return self(x).rows(rows)  // stacked convs (data2vec-audio): whole window
        }
        let conv = layer.conv
        let (frames, c) = (x.shape[0], x.shape[1])
        // Padded input rows [a, b + kernel − 1) produce outputs [a, b).
        let paddedRows = rows.count + conv.kernelSize - 1
        var padded = [Float](repeating: 0, count: paddedRows * c)
        for r in 0..<paddedRows {
            let source = rows.lowerBound + r - conv.padding
            if source >= 0 && source < frames {
                for j in 0..<c { padded[r * c + j] = x.scalars[source * c + j] }
            }
        }
        var y = Tensor(zeros: [rows.count, conv.outChannels])
        padded.withUnsafeBufferPointer { p in
            y.withUnsafeMutablePointer { conv.apply(p.baseAddress!, paddedFrames: paddedRows, into: $0) }
        }
        Activation.gelu.apply(&y)
        return y
    }
}
