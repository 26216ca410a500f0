import ProscoreModels
import ProscoreScoring
import ProscoreTensor

// The stages a session pipeline is built from. Each is a protocol with one production
// type (conformances below) and fakes in the tests; the pipeline receives them and never
// constructs one.

/// Audio in, encoder frames out, chunk by chunk (the streaming Wav2Vec2 encoder).
public protocol StreamingEncoding: AnyObject {
    /// Samples per output frame and the samples one frame sees (for emit-latency timing).
    var samplesPerFrame: Int { get }
    var receptiveFieldSamples: Int { get }
    /// Frames emitted so far (audio before them is no longer needed).
    var emittedFrames: Int { get }
    func feed(_ samples: [Float]) -> [StreamingChunk]
    /// Flushes what the lookahead held back at the end of the stream.
    func finish() -> [StreamingChunk]
}

extension StreamingEncoder: StreamingEncoding {
    public var samplesPerFrame: Int { encoder.samplesPerFrame }
    public var receptiveFieldSamples: Int { encoder.config.receptiveFieldSamples }
}

/// CTC logits in, final words and utterances out (the streaming CTC decoder).
public protocol TranscriptDecoding: AnyObject {
    /// Final words of the utterance in progress.
    var currentUtterance: [TranscribedWord] { get }
    /// `quietBelowDb`: frames under it (dBFS) count as quiet for endpointing.
    func feed(logits: Tensor, frameEnergyDb: [Float]?, quietBelowDb: Float?) -> TranscriptUpdate
    func finish() -> TranscriptUpdate
}

extension StreamingCTCDecoder: TranscriptDecoding {}

/// Window features in, 0–10 scores out (a proficiency head).
public protocol ProficiencyScoring: Sendable {
    /// Hidden-state indices whose window means the scorer reads (empty: extras only).
    var layers: [Int] { get }
    /// Names of the window features (`WindowFeatures`) it reads, in order.
    var extraFeatures: [String] { get }
    /// `pooled` holds one mean hidden state per entry of `layers`; `extras` the window's
    /// features named by `extraFeatures`.
    func scores(pooled: [[Float]], extras: [Double]) -> ProficiencyScores
    /// A read-aloud scorer's floor on the whole reading's aligned gap per reference token
    /// (nats): a reading under it does not follow its reference and is not scored. Nil: none.
    var readingGapFloor: Double? { get }
}

extension ProficiencyScoring {
    public var readingGapFloor: Double? { nil }
}

extension ProficiencyHead: ProficiencyScoring {
    public func scores(pooled: [[Float]], extras: [Double]) -> ProficiencyScores {
        ProficiencyScores(named: predict(pooled: pooled, extras: extras))
    }
}

/// Where a session's record goes (the session store; a list in tests). The recorder is
/// begun only once audio flows, so a command that fails before that leaves no record.
public protocol SessionRecording: AnyObject {
    /// Creates the record; returns its id where the recorder has ids.
    func begin(source: String) throws -> Int64?
    /// Commits one event (called for every event between begin and end, in order).
    func record(_ event: PipelineEvent) throws
    /// Closes the record with how the session ended.
    func end(_ outcome: SessionOutcome, summary: SessionSummary, processedSeconds: Double) throws
}

/// A session's stages, built for one session (the encoder and decoder carry its state).
public struct SessionStages {
    public var encoder: StreamingEncoding
    public var decoder: TranscriptDecoding
    /// For the blank posterior of the speech decision; nil: loudness alone decides.
    public var vocabulary: CTCVocabulary?
    public var scorer: ProficiencyScoring?
    /// With a read-aloud `scorer`: what scores live estimates made before the reading is first
    /// aligned (the free-speech head, reading the same layers), when the read-aloud evidence
    /// does not exist yet. Nil: those estimates carry no scores, and say why.
    public var unalignedScorer: ProficiencyScoring?
    public var textScorer: TextScoring?
    public var recorder: SessionRecording?

    public init(encoder: StreamingEncoding, decoder: TranscriptDecoding, vocabulary: CTCVocabulary?,
                scorer: ProficiencyScoring? = nil, unalignedScorer: ProficiencyScoring? = nil,
                textScorer: TextScoring? = nil, recorder: SessionRecording? = nil) {
        self.encoder = encoder
        self.decoder = decoder
        self.vocabulary = vocabulary
        self.scorer = scorer
        self.unalignedScorer = unalignedScorer.flatMap { $0.layers == scorer?.layers ? $0 : nil }
        self.textScorer = textScorer
        self.recorder = recorder
    }
}
