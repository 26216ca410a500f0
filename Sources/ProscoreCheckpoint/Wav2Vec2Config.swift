/// The Wav2Vec2 family in Hugging Face's `config.json`: wav2vec2, HuBERT, data2vec-audio.
public enum AudioEncoderFamily: String, Sendable, Codable, CaseIterable {
    case wav2vec2
    case hubert
    case data2vecAudio = "data2vec-audio"

    /// Prefix of the base model's tensors inside a `…ForCTC` checkpoint.
    public var headedPrefix: String {
        switch self {
        case .wav2vec2: return "wav2vec2."
        case .hubert: return "hubert."
        case .data2vecAudio: return "data2vec_audio."
        }
    }
}

/// `config.json` of a wav2vec2, HuBERT or data2vec-audio checkpoint. Names follow
/// Hugging Face's; every optional key has Hugging Face's default.
public struct Wav2Vec2Config: Sendable, Equatable, Codable {
    public var modelType: AudioEncoderFamily
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var layerNormEps: Float
    /// "group" (group norm after the first conv only) or "layer" (layer norm after every conv).
    public var featExtractNorm: String
    public var featExtractActivation: String
    public var convDim: [Int]
    public var convStride: [Int]
    public var convKernel: [Int]
    public var convBias: Bool
    /// wav2vec2/HuBERT: kernel of the positional conv. data2vec-audio: number of positional conv layers.
    public var numConvPosEmbeddings: Int
    public var numConvPosEmbeddingGroups: Int
    /// data2vec-audio only: kernel of each positional conv layer.
    public var convPosKernelSize: Int
    /// Pre-norm ("stable layer norm") transformer, as in the large checkpoints.
    public var doStableLayerNorm: Bool
    /// HuBERT only: layer norm before the feature projection.
    public var featProjLayerNorm: Bool
    public var vocabSize: Int
    public var padTokenId: Int
    public var architectures: [String]
    public var addAdapter: Bool
    /// HuBERT only: batch norm instead of weight norm in the positional conv (unsupported).
    public var convPosBatchNorm: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
        case featExtractNorm = "feat_extract_norm", featExtractActivation = "feat_extract_activation"
        case convDim = "conv_dim", convStride = "conv_stride", convKernel = "conv_kernel", convBias = "conv_bias"
        case numConvPosEmbeddings = "num_conv_pos_embeddings"
        case numConvPosEmbeddingGroups = "num_conv_pos_embedding_groups"
        case convPosKernelSize = "conv_pos_kernel_size"
        case doStableLayerNorm = "do_stable_layer_norm", featProjLayerNorm = "feat_proj_layer_norm"
        case vocabSize = "vocab_size", padTokenId = "pad_token_id", architectures
        case addAdapter = "add_adapter", convPosBatchNorm = "conv_pos_batch_norm"
    }

    /// wav2vec2-base's shape (what `Wav2Vec2Config()` gives in transformers).
    public static let base = Wav2Vec2Config(
        modelType: .wav2vec2, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
        intermediateSize: 3072, hiddenAct: "gelu", layerNormEps: 1e-5,
        featExtractNorm: "group", featExtractActivation: "gelu",
        convDim: Array(repeating: 512, count: 7), convStride: [5, 2, 2, 2, 2, 2, 2],
        convKernel: [10, 3, 3, 3, 3, 2, 2], convBias: false,
        numConvPosEmbeddings: 128, numConvPosEmbeddingGroups: 16, convPosKernelSize: 19,
        doStableLayerNorm: false, featProjLayerNorm: true, vocabSize: 32, padTokenId: 0,
        architectures: [], addAdapter: false, convPosBatchNorm: false)

    /// wav2vec2-large-lv60's shape: layer-norm convs, pre-norm ("stable") transformer.
    public static let large = Wav2Vec2Config(
        modelType: .wav2vec2, hiddenSize: 1024, numHiddenLayers: 24, numAttentionHeads: 16,
        intermediateSize: 4096, hiddenAct: "gelu", layerNormEps: 1e-5,
        featExtractNorm: "layer", featExtractActivation: "gelu",
        convDim: Array(repeating: 512, count: 7), convStride: [5, 2, 2, 2, 2, 2, 2],
        convKernel: [10, 3, 3, 3, 3, 2, 2], convBias: true,
        numConvPosEmbeddings: 128, numConvPosEmbeddingGroups: 16, convPosKernelSize: 19,
        doStableLayerNorm: true, featProjLayerNorm: true, vocabSize: 32, padTokenId: 0,
        architectures: [], addAdapter: false, convPosBatchNorm: false)

    public init(modelType: AudioEncoderFamily, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                intermediateSize: Int, hiddenAct: String, layerNormEps: Float, featExtractNorm: String,
                featExtractActivation: String, convDim: [Int], convStride: [Int], convKernel: [Int], convBias: Bool,
                numConvPosEmbeddings: Int, numConvPosEmbeddingGroups: Int, convPosKernelSize: Int,
                doStableLayerNorm: Bool, featProjLayerNorm: Bool, vocabSize: Int, padTokenId: Int,
                architectures: [String], addAdapter: Bool, convPosBatchNorm: Bool) {
        self.modelType = modelType; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct; self.layerNormEps = layerNormEps; self.featExtractNorm = featExtractNorm
        self.featExtractActivation = featExtractActivation; self.convDim = convDim; self.convStride = convStride
        self.convKernel = convKernel; self.convBias = convBias; self.numConvPosEmbeddings = numConvPosEmbeddings
        self.numConvPosEmbeddingGroups = numConvPosEmbeddingGroups; self.convPosKernelSize = convPosKernelSize
        self.doStableLayerNorm = doStableLayerNorm; self.featProjLayerNorm = featProjLayerNorm
        self.vocabSize = vocabSize; self.padTokenId = padTokenId; self.architectures = architectures
        self.addAdapter = addAdapter
        self.convPosBatchNorm = convPosBatchNorm
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self.base
        modelType = try c.decode(AudioEncoderFamily.self, forKey: .modelType)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        featExtractNorm = try c.decodeIfPresent(String.self, forKey: .featExtractNorm)
            ?? (modelType == .data2vecAudio ? "layer" : d.featExtractNorm)
        featExtractActivation = try c.decodeIfPresent(String.self, forKey: .featExtractActivation) ?? d.featExtractActivation
        convDim = try c.decodeIfPresent([Int].self, forKey: .convDim) ?? d.convDim
        convStride = try c.decodeIfPresent([Int].self, forKey: .convStride) ?? d.convStride
        convKernel = try c.decodeIfPresent([Int].self, forKey: .convKernel) ?? d.convKernel
        convBias = try c.decodeIfPresent(Bool.self, forKey: .convBias) ?? (modelType == .data2vecAudio)
        numConvPosEmbeddings = try c.decodeIfPresent(Int.self, forKey: .numConvPosEmbeddings)
            ?? (modelType == .data2vecAudio ? 5 : d.numConvPosEmbeddings)
        numConvPosEmbeddingGroups = try c.decodeIfPresent(Int.self, forKey: .numConvPosEmbeddingGroups) ?? d.numConvPosEmbeddingGroups
        convPosKernelSize = try c.decodeIfPresent(Int.self, forKey: .convPosKernelSize) ?? d.convPosKernelSize
        doStableLayerNorm = try c.decodeIfPresent(Bool.self, forKey: .doStableLayerNorm) ?? false
        featProjLayerNorm = try c.decodeIfPresent(Bool.self, forKey: .featProjLayerNorm) ?? true
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures) ?? []
        addAdapter = try c.decodeIfPresent(Bool.self, forKey: .addAdapter) ?? false
        convPosBatchNorm = try c.decodeIfPresent(Bool.self, forKey: .convPosBatchNorm) ?? false
    }

    /// Samples per output frame: the product of the conv strides (320 for the standard stack).
    public var samplesPerFrame: Int { convStride.reduce(1, *) }

    /// Samples one output frame sees (400 for the standard stack).
    public var receptiveFieldSamples: Int {
        var field = 1
        for (k, s) in zip(convKernel, convStride).reversed() { field = (field - 1) * s + k }
        return field
    }

    /// Problems that make the config unusable, each a sentence; empty when it is fine.
    public func problems() -> [String] {
        var p: [String] = []
        if convDim.isEmpty || convDim.count != convStride.count || convDim.count != convKernel.count {
            p.append("conv_dim, conv_stride and conv_kernel must be non-empty and of equal length")
        }
        if hiddenSize <= 0 || numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0 {
            p.append("hidden_size \(hiddenSize) must be a positive multiple of num_attention_heads \(numAttentionHeads)")
        }
        if !["group", "layer"].contains(featExtractNorm) {
            p.append("feat_extract_norm '\(featExtractNorm)' must be 'group' or 'layer'")
        }
        if hiddenSize % max(1, numConvPosEmbeddingGroups) != 0 {
            p.append("hidden_size must be divisible by num_conv_pos_embedding_groups")
        }
        for (name, act) in [("hidden_act", hiddenAct), ("feat_extract_activation", featExtractActivation)]
        where !["gelu", "relu"].contains(act) {
            p.append("\(name) '\(act)' is not supported (gelu or relu)")
        }
        if addAdapter { p.append("add_adapter = true (an adapter after the encoder) is not supported") }
        if convPosBatchNorm { p.append("conv_pos_batch_norm = true (batch-normed positional conv) is not supported") }
        return p
    }
}
