import Foundation
import ProscoreUnits

/// No speech, no score: decides whether a span holds enough speech to be scored, and if
/// not says why. Speech needs voiced frames (periodic, in the F0 range) that the speech
/// decision also calls speech; a pitch that stays still frame after frame is a tone or an
/// instrument, not a voice; and a window needs some seconds of it.
public struct SpeechGate: Sendable, Equatable {
    /// Voiced speech needed before anything is scored, seconds.
    public var minimumVoicedSeconds = 0.3
    /// Phonation (speech or voiced frames) a window needs to be scored, seconds: half a
    /// second holds a short sentence's voiced core.
    public var minimumSpeechSeconds = 0.5
    /// Consecutive voiced frames whose pitch moves less than `steadySemitones` count as
    /// steady; more than this share of them is music or a tone.
    public var maximumSteadyShare = 0.6
    public var steadySemitones = 0.05

    public init() {}

    /// Nil when `range` of the frames may be scored, else the reason it may not.
    public func rejection(speech: [Bool], f0Hz: [Float], range: Range<Int>? = nil) -> String? {
        let n = min(speech.count, f0Hz.count)
        let span = (range ?? 0..<n).clamped(to: 0..<n)
        if let none = noSpeech(speech: speech, f0Hz: f0Hz, range: span) { return none }
        let phonation = Double(span.filter { speech[$0] || f0Hz[$0] > 0 }.count) * FrameGeometry.frameSeconds
        if phonation < minimumSpeechSeconds {
            return String(format: "too little speech in this window (%.1f s; %.1f s needed)", phonation, minimumSpeechSeconds)
        }
        return nil
    }

    /// Nil when `range` of the frames holds a voice at all (however little), else why not:
    /// what is said there, if anything, was not heard.
    public func noSpeech(speech: [Bool], f0Hz: [Float], range: Range<Int>? = nil) -> String? {
        let n = min(speech.count, f0Hz.count)
        let span = (range ?? 0..<n).clamped(to: 0..<n)
        let frameSeconds = FrameGeometry.frameSeconds
        var voiced = 0, pairs = 0, steady = 0
        var previous: Float = 0
        for f in span {
            let v = speech[f] && f0Hz[f] > 0
            if v {
                voiced += 1
                if previous > 0 {
                    pairs += 1
                    if abs(12 * log2(Double(f0Hz[f] / previous))) < steadySemitones { steady += 1 }
                }
            }
            previous = v ? f0Hz[f] : 0
        }
        if Double(voiced) * frameSeconds < minimumVoicedSeconds { return "no speech detected" }
        if pairs >= 10 && Double(steady) / Double(pairs) > maximumSteadyShare { return "no speech detected (a steady pitch: music or a tone)" }
        return nil
    }
}

extension FluencyMeasures {
    /// The measures a head may read, by name (`headFeatureNames` and the syllable count's
    /// independent twins live in `SignalMeasures`).
    public var named: [String: Double] {
        Dictionary(uniqueKeysWithValues: zip(Self.headFeatureNames, headFeatures))
    }
}

/// Everything a head may read about a window, by name: the transcript's fluency measures,
/// the signal's, and with a reference the read-aloud evidence.
public enum WindowFeatures {
    /// Names a free-speech head may use, and those a read-aloud head adds.
    public static let freeSpeechNames = FluencyMeasures.headFeatureNames + SignalMeasures.featureNames
    public static let readAloudNames = freeSpeechNames + ReadAloudEvidence.featureNames

    public static func named(fluency: FluencyMeasures, signal: SignalMeasures, readAloud: ReadAloudEvidence?) -> [String: Double] {
        var all = fluency.named.merging(signal.named) { a, _ in a }
        if let readAloud { all.merge(readAloud.named) { a, _ in a } }
        return all
    }
}
