import ProscoreModels
import ProscoreScoring

/// What the pipeline emits after every chunk (a "hop"): rolling measures, transcript so
/// far, and how the machinery is keeping up.
public struct Estimate: Sendable, Codable {
    /// Seconds of audio processed when this estimate was made.
    public var audioSeconds: Double
    /// Fluency measures over the rolling window and over the whole session.
    public var window: FluencyMeasures
    public var session: FluencyMeasures
    /// Scores from the proficiency head, 0–10, when one is loaded (fluency-feature heads).
    public var scores: [String: Double]?
    /// Pronunciation evidence: mean CTC confidence of the final words in the window (nil
    /// before the first word).
    public var windowConfidence: Double?
    /// With a reference text (read-aloud): 10 × the share of reference words recognised so
    /// far, and the reference words still missing and the extra words said.
    public var completeness: Double?
    public var omittedWords: [String]?
    public var insertedWords: [String]?
    /// Words final so far in the current utterance and the word being spoken.
    public var partialTranscript: String
    /// From the arrival of the chunk's last sample to this estimate, in milliseconds.
    public var emitLatencyMs: Double
    /// Compute seconds per second of audio so far.
    public var realTimeFactor: Double
    /// Samples the ring buffer dropped so far.
    public var droppedSamples: Int
    /// The frames this hop added: index of the first, their loudness (dBFS) and whether
    /// each was speech (what the pause measures saw).
    public var firstFrame: Int
    public var frameEnergyDb: [Float]
    public var frameSpeech: [Bool]

    enum CodingKeys: String, CodingKey {
        case window, session, scores, completeness
        case windowConfidence = "window_confidence"
        case omittedWords = "omitted_words", insertedWords = "inserted_words"
        case audioSeconds = "audio_s", partialTranscript = "partial", emitLatencyMs = "emit_latency_ms"
        case realTimeFactor = "rtf", droppedSamples = "dropped_samples"
        case firstFrame = "first_frame", frameEnergyDb = "frame_energy_db", frameSpeech = "frame_speech"
    }
}

/// Everything the pipeline produces, in order, for its observers.
public enum PipelineEvent: Sendable {
    case estimate(Estimate)
    case words([TranscribedWord])
    case utterance(Utterance)
    case textScores(TextScores)
}
