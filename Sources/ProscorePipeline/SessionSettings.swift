import ProscoreModels
import ProscoreTensor

/// Everything that decides how a session is scored: resolved from a preset and the
/// command line by `SessionBuilder`, stored with the session as its configuration.
public struct SessionSettings: Sendable, Codable, Equatable {
    /// The preset file the settings started from.
    public var preset: String
    /// The CTC checkpoint directory, the proficiency head (nil: none) and the BERT model
    /// for text scores (nil: none).
    public var model: String
    public var head: String?
    /// The head for read-aloud sessions (nil: the free-speech head serves them too).
    public var readAloudHead: String?
    public var textModel: String?
    public var streaming: StreamingPreset.Window
    /// Trailing silence that ends an utterance, and the longest utterance, in ms and s.
    public var endpointMs: Int
    public var maxUtteranceSeconds: Double
    /// Rolling window of the fluency measures and head scores, in seconds.
    public var windowSeconds: Double
    /// Silence that counts as a pause, in ms.
    public var pauseMs: Int
    /// Seconds of new final words between text-scoring passes.
    public var textScoringEverySeconds: Double
    /// The text read aloud, when there is one.
    public var reference: String?
    /// The prompt a free-speech answer is scored against for relevance (the reference
    /// serves when there is one).
    public var textPrompt: String?
    /// Threads for the encoder's numeric work, and the precision of its weight products.
    public var threads: Int
    public var precision: Precision = .fp32
    /// Whether the heads came from the preset (not the command line): such heads give way
    /// to the encoder-independent ones when they do not fit the model.
    public var headsFromPreset = false
    /// The precision the preset names (its heads were fitted in it); fp32 where it names none.
    public var presetPrecision: Precision = .fp32
    /// Audio buffered between the source and the encoder, in seconds.
    public var ringSeconds: Double
    /// Who spoke, as the teacher or the learner names them: a learner's sessions are listed
    /// together (`sessions list --learner`), so progress can be followed.
    public var learner: String?

    public init(preset: String, model: String, head: String?, readAloudHead: String? = nil, textModel: String?, streaming: StreamingPreset.Window,
                endpointMs: Int, maxUtteranceSeconds: Double, windowSeconds: Double, pauseMs: Int,
                textScoringEverySeconds: Double, reference: String?, threads: Int, ringSeconds: Double) {
        self.preset = preset
        self.model = model
        self.head = head
        self.readAloudHead = readAloudHead
        self.textModel = textModel
        self.streaming = streaming
        self.endpointMs = endpointMs
        self.maxUtteranceSeconds = maxUtteranceSeconds
        self.windowSeconds = windowSeconds
        self.pauseMs = pauseMs
        self.textScoringEverySeconds = textScoringEverySeconds
        self.reference = reference
        self.threads = threads
        self.ringSeconds = ringSeconds
    }

    public var streamingSettings: StreamingSettings {
        StreamingSettings(chunkMs: streaming.chunkMs, leftContextMs: streaming.leftContextMs,
                          lookaheadMs: streaming.lookaheadMs, reuseLeftContext: streaming.reuseLeftContext)
    }

    public var endpoint: EndpointSettings {
        EndpointSettings(trailingSilenceMs: endpointMs, maxUtteranceSeconds: maxUtteranceSeconds)
    }

    public var pauseThresholdSeconds: Double { Double(pauseMs) / 1000 }

    enum CodingKeys: String, CodingKey {
        case preset, model, head, streaming, reference, threads
        case readAloudHead = "read_aloud_head", textModel = "text_model", endpointMs = "endpoint_ms", maxUtteranceSeconds = "max_utterance_s"
        case windowSeconds = "window_s", pauseMs = "pause_ms", textScoringEverySeconds = "text_scoring_every_s"
        case ringSeconds = "ring_s", precision, textPrompt = "text_prompt", learner
    }
}
