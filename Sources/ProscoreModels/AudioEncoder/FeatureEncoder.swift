import ProscoreTensor

/// The conv feature encoder: raw 16 kHz samples → one frame per `samplesPerFrame` samples.
///
/// Each layer is conv → norm → activation. In the "group" variant (wav2vec2-base,
/// HuBERT-base) only the first layer has a norm, a group norm over the whole time axis;
/// in the "layer" variant every layer has a layer norm over channels.
public struct FeatureEncoder: Sendable {
    public enum Norm: Sendable {
        case none
        case group(GroupNorm)
        case layer(LayerNorm)
    }

    public struct Layer: Sendable {
        public let conv: Conv1d
        public let norm: Norm
        public let activation: Activation

        public func callAsFunction(_ x: Tensor) -> Tensor {
            var y = conv(x)
            switch norm {
            case .none: break
            case let .group(n): n(&y)
            case let .layer(n): n(&y)
            }
            activation.apply(&y)
            return y
        }
    }

    public let layers: [Layer]

    /// Samples per output frame (product of the strides).
    public var samplesPerFrame: Int { layers.reduce(1) { $0 * $1.conv.stride } }
    /// Channels of the last layer.
    public var outputChannels: Int { layers.last!.conv.outChannels }

    /// Frames produced from `samples` samples.
    public func outputFrames(samples: Int) -> Int {
        layers.reduce(samples) { $1.conv.outputFrames(inputFrames: $0) }
    }

    /// `samples` → `[frames, channels]`.
    public func callAsFunction(_ samples: [Float]) -> Tensor {
        layers.reduce(Tensor(shape: [samples.count, 1], scalars: samples)) { $1($0) }
    }
}
