import ProscoreCheckpoint
import ProscoreTensor

/// Everything one offline pass produces, time-major.
public struct AudioEncoderOutput: Sendable {
    /// Conv feature encoder output, `[frames, convChannels]` (before the projection's norm).
    public var extractFeatures: Tensor
    /// The input of the first layer, then each layer's output: `numHiddenLayers + 1`
    /// tensors of `[frames, hidden]`, as transformers (5.x) `output_hidden_states=True`
    /// returns them. For pre-norm checkpoints the last one is taken before the encoder's
    /// final layer norm (`lastHiddenState` is after it).
    public var hiddenStates: [Tensor]
    /// The encoder's output, `[frames, hidden]`: the last hidden state, after the final
    /// layer norm in pre-norm checkpoints. The CTC head reads this.
    public var lastHiddenState: Tensor
    /// CTC logits `[frames, vocab]` when the checkpoint has a head.
    public var logits: Tensor?

    public var frames: Int { extractFeatures.shape[0] }
}

/// A Wav2Vec2-family encoder (wav2vec2, HuBERT, data2vec-audio), optionally with its
/// CTC head, computing what transformers' `…Model` / `…ForCTC` compute.
public struct AudioEncoder: Sendable {
    public let config: Wav2Vec2Config
    public let preprocessor: PreprocessorConfig
    public let featureEncoder: FeatureEncoder
    public let featureProjection: FeatureProjection
    public let positionalEmbedding: PositionalConvEmbedding
    /// Post-norm: applied before the first layer. Pre-norm: applied after the last.
    public let encoderNorm: LayerNorm
    public let layers: [TransformerLayer]
    /// CTC head (`lm_head`): hidden → vocabulary logits.
    public let ctcHead: Linear?

    /// Samples per frame (320 at 16 kHz: 20 ms).
    public var samplesPerFrame: Int { featureEncoder.samplesPerFrame }
    public var sampleRate: Int { preprocessor.samplingRate }

    /// The feature extractor's input normalisation (`do_normalize`) when the checkpoint asks
    /// for it: zero mean, unit variance over the whole utterance.
    public func normalizedInput(_ samples: [Float]) -> [Float] {
        guard preprocessor.doNormalize, !samples.isEmpty else { return samples }
        let n = Double(samples.count)
        let mean = samples.reduce(0.0) { $0 + Double($1) } / n
        let variance = samples.reduce(0.0) { let d = Double($1) - mean; return $0 + d * d } / n
        let inv = 1 / (variance + 1e-7).squareRoot()
        return samples.map { Float((Double($0) - mean) * inv) }
    }

    /// Runs the whole encoder on 16 kHz mono samples in [-1, 1] (raw: normalisation is
    /// applied here when the preprocessor config asks for it). `clock`, when given,
    /// receives the time spent in each stage.
    public func callAsFunction(_ samples: [Float], clock: StageClock? = nil) -> AudioEncoderOutput {
        let input = clock.measure("input normalisation") { normalizedInput(samples) }
        var x = Tensor(shape: [input.count, 1], scalars: input)
        for (i, layer) in featureEncoder.layers.enumerated() {
            x = clock.measure("conv \(i)") { layer(x) }
        }
        let extract = x
        let projected = clock.measure("feature projection") { featureProjection(extract) }
        let (states, last) = transformer(projected, clock: clock)
        let logits = clock.measure("CTC head") { ctcHead?(last) }
        return AudioEncoderOutput(extractFeatures: extract, hiddenStates: states, lastHiddenState: last, logits: logits)
    }

    /// Positional conv and transformer layers over projected features `[frames, hidden]`.
    public func transformer(_ projected: Tensor, clock: StageClock? = nil) -> (hiddenStates: [Tensor], last: Tensor) {
        let r = transformer(projected, leftProjected: nil, cachedKeysValues: nil, clock: clock)
        return (r.hiddenStates, r.last)
    }

    /// The same over new frames only, when earlier frames are cached (streaming): their
    /// projected features feed the positional conv (`leftProjected`) and each layer's
    /// attention keys and values (`cachedKeysValues`, one `[n, 2·hidden]` tensor per layer)
    /// serve as context. Returns the new frames' hidden states, final output, and per-layer
    /// keys and values.
    public func transformer(_ projected: Tensor, leftProjected: Tensor?, cachedKeysValues: [Tensor]?,
                            clock: StageClock? = nil) -> (hiddenStates: [Tensor], last: Tensor, keysValues: [Tensor]) {
        var h = projected
        clock.measure("positional conv") {
            if let leftProjected {
                let n = leftProjected.shape[0]
                let window = Tensor(shape: [n + h.shape[0], h.shape[1]], scalars: leftProjected.scalars + h.scalars)
                add(positionalEmbedding(window, rows: n..<window.shape[0]), to: &h)
            } else {
                add(positionalEmbedding(h), to: &h)
            }
        }
        var states: [Tensor] = []
        var keysValues: [Tensor] = []
        states.reserveCapacity(layers.count + 1)
        if !config.doStableLayerNorm { encoderNorm(&h) }
        states.append(h)
        for (i, layer) in layers.enumerated() {
            let input = h
            let (output, kv) = clock.measure("transformer layer \(i)") {
                layer.forward(input, cachedKeysValues: cachedKeysValues?[i])
            }
            h = output
            states.append(h)
            keysValues.append(kv)
        }
        if config.doStableLayerNorm { encoderNorm(&h) }
        return (states, h, keysValues)
    }

    /// Number of weights.
    public var parameterCount: Int {
        var n = 0
        for l in featureEncoder.layers {
            n += l.conv.parameterCount
            switch l.norm {
            case .none: break
            case let .group(g): n += g.weight.count + g.bias.count
            case let .layer(ln): n += (ln.weight?.count ?? 0) + (ln.bias?.count ?? 0)
            }
        }
        n += featureProjection.norm.map { 2 * $0.weight!.count } ?? 0
        n += featureProjection.projection.parameterCount
        for l in positionalEmbedding.layers { n += l.conv.parameterCount }
        n += 2 * config.hiddenSize
        for l in layers {
            n += l.attention.parameterCount + 4 * config.hiddenSize
            n += l.feedForward.intermediate.parameterCount + l.feedForward.output.parameterCount
        }
        n += ctcHead?.parameterCount ?? 0
        return n
    }
}

extension Linear {
    var parameterCount: Int { inFeatures * outFeatures + (bias?.count ?? 0) }
}

extension MultiHeadAttention {
    var parameterCount: Int { 4 * hidden * hidden + 4 * hidden }
}
