import ProscoreCheckpoint
import ProscoreTensor

/// Builds an `AudioEncoder` from checkpoint tensors. Every Hugging Face tensor name the
/// encoder uses appears in this file, next to the Swift part it fills.
public enum AudioEncoderLoader {
    /// A loaded encoder and the checkpoint's tensors it did not use (e.g. pre-training
    /// heads or `masked_spec_embed`), for the caller to report.
    public struct Loaded: Sendable {
        public let encoder: AudioEncoder
        public let unusedTensors: [String]
        public let directory: CheckpointDirectory
    }

    /// Loads the checkpoint directory at `path` (config.json, model.safetensors,
    /// preprocessor_config.json when present).
    /// `precision` `.int8` quantises at load the transformer's linear layers, the feature
    /// projection and the conv stack (all but its first, thin conv over raw samples, which
    /// a direct kernel runs faster); the grouped positional conv and the CTC head stay fp32
    /// (the CTC posteriors feed the pronunciation evidence, where int8 error would show).
    public static func load(path: String, precision: Precision = .fp32) throws -> Loaded {
        let directory = try CheckpointDirectory(path: path)
        guard case let .audioEncoder(config) = directory.config else {
            throw CheckpointError.badConfig(
                path: directory.configPath, detail: "is a BERT model; an audio encoder (wav2vec2, hubert, data2vec-audio) is needed here")
        }
        let store = WeightStore(file: try directory.openWeights())
        let encoder = try build(config: config, preprocessor: try directory.preprocessorConfig(), from: store, precision: precision)
        return Loaded(encoder: encoder, unusedTensors: store.unused, directory: directory)
    }

    /// Builds the encoder `config` describes from `source`.
    public static func build(config: Wav2Vec2Config, preprocessor: PreprocessorConfig,
                             from source: TensorSource, precision: Precision = .fp32) throws -> AudioEncoder {
        let precision = precision.available.precision
        let conv0 = "feature_extractor.conv_layers.0.conv.weight"
        let prefix = source.contains(conv0) ? "" : config.modelType.headedPrefix
        let base = Names(prefix: prefix, source: source, precision: precision)
        guard source.contains(prefix + conv0) else {
            throw CheckpointError.missingTensor(path: base.path, tensor: config.modelType.headedPrefix + conv0)
        }
        let h = config.hiddenSize

        // MARK: feature_extractor.conv_layers.{i}
        var convLayers: [FeatureEncoder.Layer] = []
        var inChannels = 1
        let convActivation = Activation(rawValue: config.featExtractActivation)!
        for (i, out) in config.convDim.enumerated() {
            let k = config.convKernel[i]
            let p = "feature_extractor.conv_layers.\(i)."
            let conv = Conv1d(
                weight: try base.take(p + "conv.weight", [out, inChannels, k]),
                bias: config.convBias ? try base.take(p + "conv.bias", [out]) : nil,
                stride: config.convStride[i], precision: precision)
            let norm: FeatureEncoder.Norm
            if config.featExtractNorm == "layer" {
                norm = .layer(LayerNorm(weight: try base.take(p + "layer_norm.weight", [out]),
                                        bias: try base.take(p + "layer_norm.bias", [out])))
            } else if i == 0 {
                norm = .group(GroupNorm(groups: out, weight: try base.take(p + "layer_norm.weight", [out]),
                                        bias: try base.take(p + "layer_norm.bias", [out])))
            } else {
                norm = .none
            }
            convLayers.append(.init(conv: conv, norm: norm, activation: convActivation))
            inChannels = out
        }

        // MARK: feature_projection
        let convOut = config.convDim.last!
        let hasProjectionNorm = config.modelType != .hubert || config.featProjLayerNorm
        let projection = FeatureProjection(
            norm: hasProjectionNorm
                ? LayerNorm(weight: try base.take("feature_projection.layer_norm.weight", [convOut]),
                            bias: try base.take("feature_projection.layer_norm.bias", [convOut]),
                            epsilon: config.layerNormEps)
                : nil,
            projection: try base.linear("feature_projection.projection", in: convOut, out: h, quantised: true))

        // MARK: encoder.pos_conv_embed
        let groups = config.numConvPosEmbeddingGroups
        var posLayers: [PositionalConvEmbedding.Layer] = []
        if config.modelType == .data2vecAudio {
            let k = config.convPosKernelSize
            for i in 0..<config.numConvPosEmbeddings {
                let p = "encoder.pos_conv_embed.layers.\(i).conv."
                posLayers.append(.init(
                    conv: Conv1d(weight: try base.take(p + "weight", [h, h / groups, k]),
                                 bias: try base.take(p + "bias", [h]), padding: k / 2, groups: groups),
                    norm: LayerNorm(weight: nil, bias: nil)))
            }
        } else {
            let k = config.numConvPosEmbeddings
            let p = "encoder.pos_conv_embed.conv."
            let shape = [h, h / groups, k]
            posLayers.append(.init(
                conv: Conv1d(weight: try base.weightNormed(p, shape: shape),
                             bias: try base.take(p + "bias", [h]), padding: k / 2, groups: groups),
                norm: nil))
        }

        // MARK: encoder.layers.{i}
        let activation = Activation(rawValue: config.hiddenAct)!
        var layers: [TransformerLayer] = []
        for i in 0..<config.numHiddenLayers {
            let p = "encoder.layers.\(i)."
            let a = p + "attention."
            layers.append(TransformerLayer(
                attention: MultiHeadAttention(
                    query: try base.linear(a + "q_proj", in: h, out: h, quantised: true),
                    key: try base.linear(a + "k_proj", in: h, out: h, quantised: true),
                    value: try base.linear(a + "v_proj", in: h, out: h, quantised: true),
                    output: try base.linear(a + "out_proj", in: h, out: h, quantised: true),
                    heads: config.numAttentionHeads),
                attentionNorm: try base.layerNorm(p + "layer_norm", h, config.layerNormEps),
                feedForward: FeedForward(
                    intermediate: try base.linear(p + "feed_forward.intermediate_dense", in: h, out: config.intermediateSize, quantised: true),
                    output: try base.linear(p + "feed_forward.output_dense", in: config.intermediateSize, out: h, quantised: true),
                    activation: activation),
                finalNorm: try base.layerNorm(p + "final_layer_norm", h, config.layerNormEps),
                preNorm: config.doStableLayerNorm))
        }

        // MARK: lm_head (outside the base model's prefix)
        let root = Names(prefix: "", source: source, precision: .fp32)
        let head = source.contains("lm_head.weight")
            ? try root.linear("lm_head", in: h, out: config.vocabSize) : nil

        return AudioEncoder(
            config: config, preprocessor: preprocessor,
            featureEncoder: FeatureEncoder(layers: convLayers),
            featureProjection: projection,
            positionalEmbedding: PositionalConvEmbedding(layers: posLayers),
            encoderNorm: try base.layerNorm("encoder.layer_norm", h, config.layerNormEps),
            layers: layers, ctcHead: head)
    }

    /// Tensor names relative to the base model's prefix.
    private struct Names {
        let prefix: String
        let source: TensorSource
        let precision: Precision

        var path: String { (source as? WeightStore)?.file.path ?? "weights" }

        func take(_ name: String, _ shape: [Int]) throws -> Tensor { try source.take(prefix + name, shape: shape) }

        /// `quantised`: the layer computes in the model's precision (else always fp32).
        func linear(_ name: String, in inFeatures: Int, out: Int, quantised: Bool = false) throws -> Linear {
            Linear(weight: try take(name + ".weight", [out, inFeatures]), bias: try take(name + ".bias", [out]),
                   precision: quantised ? precision : .fp32)
        }

        func layerNorm(_ name: String, _ n: Int, _ eps: Float) throws -> LayerNorm {
            LayerNorm(weight: try take(name + ".weight", [n]), bias: try take(name + ".bias", [n]), epsilon: eps)
        }

        /// The positional conv weight under any of its spellings: weight-norm parametrization
        /// (`parametrizations.weight.original0/1`), legacy weight norm (`weight_g`/`weight_v`),
        /// or already folded (`weight`). The magnitude runs along the kernel axis (dim 2).
        func weightNormed(_ p: String, shape: [Int]) throws -> Tensor {
            let gShape = [1, 1, shape[2]]
            for (g, v) in [("parametrizations.weight.original0", "parametrizations.weight.original1"),
                           ("weight_g", "weight_v")] where source.contains(prefix + p + g) {
                return WeightNorm.reconstruct(g: try take(p + g, gShape), v: try take(p + v, shape), dimension: 2)
            }
            return try take(p + "weight", shape)
        }
    }
}
