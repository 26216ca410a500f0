import ProscoreUnits
/// A word as the fluency measures need it: text and timing in seconds.
public struct TimedWord: Sendable, Equatable {
    public var text: String
    public var startSeconds: Double
    public var endSeconds: Double

    public init(text: String, startSeconds: Double, endSeconds: Double) {
        self.text = text
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }
}

/// The fluency measures of docs/DESIGN over one span of speech.
public struct FluencyMeasures: Sendable, Equatable, Codable {
    /// The span measured, in seconds from the start of the session.
    public var startSeconds: Double
    public var endSeconds: Double
    /// Syllables per second over the whole span.
    public var speechRate: Double
    /// Syllables per second of phonation (speech frames only).
    public var articulationRate: Double
    /// Phonation time / span.
    public var phonationTimeRatio: Double
    /// Syllables between silent pauses.
    public var meanLengthOfRun: Double
    /// Silent pauses (silence of at least the pause threshold between speech) per minute.
    public var silentPausesPerMinute: Double
    /// Mean duration of those pauses, in seconds (0 when there are none).
    public var meanPauseSeconds: Double
    /// Filled pauses ("uh", "um", …) and immediate word repetitions, per minute.
    public var filledPausesPerMinute: Double
    public var repetitionsPerMinute: Double
    public var syllables: Int

    enum CodingKeys: String, CodingKey {
        case syllables
        case startSeconds = "start_s", endSeconds = "end_s", speechRate = "speech_rate"
        case articulationRate = "articulation_rate", phonationTimeRatio = "phonation_time_ratio"
        case meanLengthOfRun = "mean_length_of_run", silentPausesPerMinute = "silent_pauses_per_minute"
        case meanPauseSeconds = "mean_pause_s", filledPausesPerMinute = "filled_pauses_per_minute"
        case repetitionsPerMinute = "repetitions_per_minute"
    }
}

extension FluencyMeasures {
    /// The measures a proficiency head may use, all independent of how long the span is
    /// (so a head trained on utterances applies to a rolling window).
    public static let headFeatureNames = ["speech_rate", "articulation_rate", "phonation_time_ratio", "mean_length_of_run",
                                          "silent_pauses_per_minute", "mean_pause_s", "filled_pauses_per_minute"]

    public var headFeatures: [Double] {
        [speechRate, articulationRate, phonationTimeRatio, meanLengthOfRun, silentPausesPerMinute, meanPauseSeconds,
         filledPausesPerMinute]
    }
}

/// Computes `FluencyMeasures` from per-frame speech activity and the final words.
public struct FluencyAnalyzer: Sendable {
    public static let filledPauses: Set<String> = ["UH", "UM", "UHM", "ER", "ERM", "AH", "EH", "HM", "HMM", "MM", "MHM"]
    public let syllableCounter: SyllableCounter
    /// Silence at least this long between speech is a silent pause (default 250 ms).
    public var pauseThresholdSeconds: Double
    public var frameSeconds: Double

    public init(syllableCounter: SyllableCounter, pauseThresholdSeconds: Double = 0.25, frameSeconds: Double = FrameGeometry.frameSeconds) {
        self.syllableCounter = syllableCounter
        self.pauseThresholdSeconds = pauseThresholdSeconds
        self.frameSeconds = frameSeconds
    }

    /// Measures over frames `[startFrame, endFrame)` of `speech` (frame 0 at time 0) and
    /// the words that start inside that span.
    public func measure(speech: [Bool], words: [TimedWord], startFrame: Int = 0, endFrame: Int? = nil) -> FluencyMeasures {
        let end = min(endFrame ?? speech.count, speech.count)
        let start = max(0, min(startFrame, end))
        let span = Double(end - start) * frameSeconds
        let t0 = Double(start) * frameSeconds, t1 = Double(end) * frameSeconds
        let inSpan = words.filter { $0.startSeconds >= t0 && $0.startSeconds < t1 }
        let lexical = inSpan.filter { !Self.filledPauses.contains($0.text.uppercased()) }
        let syllables = lexical.reduce(0) { $0 + syllableCounter.syllables($1.text) }

        let pauses = SilentPauses.find(in: speech, range: start..<end, thresholdSeconds: pauseThresholdSeconds,
                                       frameSeconds: frameSeconds).map { Double($0.count) * frameSeconds }
        let phonationFrames = speech[start..<end].reduce(0) { $0 + ($1 ? 1 : 0) }
        let phonation = Double(phonationFrames) * frameSeconds
        let minutes = max(span, 1e-9) / 60
        var repetitions = 0
        for (a, b) in zip(lexical, lexical.dropFirst()) where a.text.uppercased() == b.text.uppercased() { repetitions += 1 }
        return FluencyMeasures(
            startSeconds: t0, endSeconds: t1,
            speechRate: span > 0 ? Double(syllables) / span : 0,
            articulationRate: phonation > 0 ? Double(syllables) / phonation : 0,
            phonationTimeRatio: span > 0 ? phonation / span : 0,
            meanLengthOfRun: Double(syllables) / Double(pauses.count + 1),
            silentPausesPerMinute: span > 0 ? Double(pauses.count) / minutes : 0,
            meanPauseSeconds: pauses.isEmpty ? 0 : pauses.reduce(0, +) / Double(pauses.count),
            filledPausesPerMinute: span > 0 ? Double(inSpan.count - lexical.count) / minutes : 0,
            repetitionsPerMinute: span > 0 ? Double(repetitions) / minutes : 0,
            syllables: syllables)
    }
}
