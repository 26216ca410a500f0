/// `preprocessor_config.json` of a Wav2Vec2 feature extractor.
public struct PreprocessorConfig: Sendable, Equatable, Codable {
    /// Zero-mean, unit-variance normalisation of each utterance before the encoder.
    public var doNormalize: Bool
    public var samplingRate: Int
    public var featureSize: Int
    public var paddingValue: Float
    public var returnAttentionMask: Bool

    enum CodingKeys: String, CodingKey {
        case doNormalize = "do_normalize", samplingRate = "sampling_rate", featureSize = "feature_size"
        case paddingValue = "padding_value", returnAttentionMask = "return_attention_mask"
    }

    public init(doNormalize: Bool = true, samplingRate: Int = 16000, featureSize: Int = 1,
                paddingValue: Float = 0, returnAttentionMask: Bool = false) {
        self.doNormalize = doNormalize; self.samplingRate = samplingRate; self.featureSize = featureSize
        self.paddingValue = paddingValue; self.returnAttentionMask = returnAttentionMask
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        doNormalize = try c.decodeIfPresent(Bool.self, forKey: .doNormalize) ?? true
        samplingRate = try c.decodeIfPresent(Int.self, forKey: .samplingRate) ?? 16000
        featureSize = try c.decodeIfPresent(Int.self, forKey: .featureSize) ?? 1
        paddingValue = try c.decodeIfPresent(Float.self, forKey: .paddingValue) ?? 0
        returnAttentionMask = try c.decodeIfPresent(Bool.self, forKey: .returnAttentionMask) ?? false
    }
}
