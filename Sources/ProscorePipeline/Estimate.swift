import ProscoreModels
import ProscoreScoring

/// Proficiency on the speechocean762 scale, 0–10 (10 is native-like), as a head predicts
/// it. A head predicts some or all of the four.
public struct ProficiencyScores: Sendable, Codable, Equatable {
    /// Pronunciation accuracy: phones and words said as a native speaker would.
    public var accuracy: Double?
    /// Fluency: speed, pauses, hesitations, repetitions.
    public var fluency: Double?
    /// Prosody: stress, rhythm and intonation.
    public var prosodic: Double?
    /// Overall proficiency of the sentence.
    public var total: Double?

    /// The score names in display order, as heads and stored events spell them.
    public static let names = ["accuracy", "fluency", "prosodic", "total"]

    public init(accuracy: Double? = nil, fluency: Double? = nil, prosodic: Double? = nil, total: Double? = nil) {
        self.accuracy = accuracy
        self.fluency = fluency
        self.prosodic = prosodic
        self.total = total
    }

    /// From a head's named outputs (names it does not know are ignored).
    public init(named: [String: Double]) {
        self.init(accuracy: named["accuracy"], fluency: named["fluency"], prosodic: named["prosodic"], total: named["total"])
    }

    public subscript(name: String) -> Double? {
        switch name {
        case "accuracy": return accuracy
        case "fluency": return fluency
        case "prosodic": return prosodic
        case "total": return total
        default: return nil
        }
    }

    /// The scores present, in display order.
    public var present: [(name: String, value: Double)] { Self.names.compactMap { n in self[n].map { (n, $0) } } }
}

/// What the pipeline emits after every chunk (a "hop"): rolling measures, transcript so
/// far, and how the machinery is keeping up.
public struct Estimate: Sendable, Codable, Equatable {
    /// Seconds of audio processed when this estimate was made.
    public var audioSeconds: Double
    /// Fluency measures over the rolling window and over the whole session.
    public var window: FluencyMeasures
    public var session: FluencyMeasures
    /// Measures from the signal alone (syllable nuclei, pauses by place, pitch) over the
    /// rolling window and the session.
    public var windowSignal: SignalMeasures?
    public var sessionSignal: SignalMeasures?
    /// With a reference: forced-alignment evidence up to the last word read so far.
    public var readAloud: ReadAloudEvidence?
    /// Scores from the proficiency head, 0–10, when one is loaded and the window holds
    /// enough speech.
    public var scores: ProficiencyScores?
    /// Why a loaded head gave no scores for this window ("no speech detected", …).
    public var unscoredReason: String?
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
    /// The frames this hop added: index of the first, their loudness as recorded (dBFS, before
    /// the session's level gain) and whether each was speech (what the pause measures saw
    /// live; the last estimate's measures decide every frame again at the session's final level).
    public var firstFrame: Int
    public var frameEnergyDb: [Float]
    public var frameSpeech: [Bool]

    enum CodingKeys: String, CodingKey {
        case window, session, scores, completeness
        case windowSignal = "window_signal", sessionSignal = "session_signal", readAloud = "read_aloud"
        case unscoredReason = "unscored_reason"
        case windowConfidence = "window_confidence"
        case omittedWords = "omitted_words", insertedWords = "inserted_words"
        case audioSeconds = "audio_s", partialTranscript = "partial", emitLatencyMs = "emit_latency_ms"
        case realTimeFactor = "rtf", droppedSamples = "dropped_samples"
        case firstFrame = "first_frame", frameEnergyDb = "frame_energy_db", frameSpeech = "frame_speech"
    }
}

/// What a session ends with: the last estimate's session-wide measures and scores, and
/// the whole transcript.
public struct SessionSummary: Sendable, Codable, Equatable {
    public var audioSeconds: Double
    public var words: Int
    public var transcript: String
    public var session: FluencyMeasures?
    public var signal: SignalMeasures?
    /// Read-aloud evidence over the whole reference, likely mispronounced words among it.
    public var readAloud: ReadAloudEvidence?
    /// The final estimate's scores (nil without a head or without enough speech).
    public var scores: ProficiencyScores?
    public var unscoredReason: String?
    public var completeness: Double?
    public var realTimeFactor: Double
    public var droppedSamples: Int
    /// The session's silent pauses (start and end, seconds) as the last estimate decided its
    /// frames, at the session's final level (nil for summaries made from stored estimates).
    public var silentPauses: [[Double]]?

    public init(audioSeconds: Double, words: [TranscribedWord], last: Estimate?) {
        self.audioSeconds = audioSeconds
        self.words = words.count
        transcript = words.map(\.text).joined(separator: " ")
        session = last?.session
        signal = last?.sessionSignal
        readAloud = last?.readAloud
        scores = last?.scores
        unscoredReason = last?.unscoredReason
        completeness = last?.completeness
        realTimeFactor = last?.realTimeFactor ?? 0
        droppedSamples = last?.droppedSamples ?? 0
    }

    enum CodingKeys: String, CodingKey {
        case words, transcript, session, scores, completeness, signal
        case readAloud = "read_aloud"
        case unscoredReason = "unscored_reason"
        case audioSeconds = "audio_s", realTimeFactor = "rtf", droppedSamples = "dropped_samples"
        case silentPauses = "silent_pauses"
    }
}

/// Everything a session produces, in order, for its observers.
public enum PipelineEvent: Sendable {
    /// The session record exists (id in the store, when recorded); audio is flowing.
    case started(sessionId: Int64?)
    case estimate(Estimate)
    case words([TranscribedWord])
    case utterance(Utterance)
    /// Text scores, as soon as each scheduled pass finishes.
    case textScores(TextScores)
    /// The last event: how the session ended and its summary.
    case ended(SessionOutcome, SessionSummary)
}

/// How a session ended, as the recorder stores it.
public enum SessionOutcome: Sendable, Equatable {
    /// The source ended and everything was scored.
    case complete
    /// Stopped by the user (signal or `stop()`) after `processedSeconds` of audio.
    case stopped
    /// The source's producer went away first (a network client disconnected); what came
    /// before was scored and recorded.
    case interrupted(String)
    /// An error ended it.
    case failed(String)
}
