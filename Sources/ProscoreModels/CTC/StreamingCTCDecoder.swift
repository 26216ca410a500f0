import Foundation
import ProscoreTensor
import ProscoreUnits

/// A recognised word with its timing (seconds from the start of the stream) and a
/// confidence: the mean, over the frames its characters won, of the winning posterior.
public struct TranscribedWord: Sendable, Equatable, Codable {
    public var text: String
    public var startSeconds: Double
    public var endSeconds: Double
    public var confidence: Double

    public init(text: String, startSeconds: Double, endSeconds: Double, confidence: Double) {
        self.text = text
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.confidence = confidence
    }

    enum CodingKeys: String, CodingKey {
        case text, confidence
        case startSeconds = "start_s", endSeconds = "end_s"
    }
}

/// When trailing silence closes an utterance.
public struct EndpointSettings: Sendable, Equatable {
    /// Silence (blank frames with low energy) that ends an utterance, in milliseconds.
    public var trailingSilenceMs: Int = 600
    /// Frames quieter than this (dBFS RMS) count as silent, unless `feed` is given another
    /// threshold (a session gives its own, raised over a noisy background).
    public var silenceThresholdDb: Float = -45
    /// An utterance that runs this long without a pause ends at its next word boundary,
    /// so continuous speech (or noise the model reads as words) still comes in pieces.
    public var maxUtteranceSeconds: Double = 30
    /// A word none of whose frames (from its first letter to its end) is louder than this
    /// (dB, on the levels the caller gives: a session's carry its level gain) was read by the
    /// model from a quiet room or digital silence, not heard: it is dropped. It is the speech
    /// detector's absolute silence level (SpeechActivity), under which no frame counts as
    /// speech; quiet speech (-40 dBFS) peaks well above it. speechocean762's recordings open
    /// with a -60 to -66 dB noise floor in which the default model heard an "E" in a third of them.
    public var absoluteSilenceDb: Float = -60

    public init(trailingSilenceMs: Int = 600, silenceThresholdDb: Float = -45, maxUtteranceSeconds: Double = 30) {
        self.trailingSilenceMs = trailingSilenceMs
        self.silenceThresholdDb = silenceThresholdDb
        self.maxUtteranceSeconds = maxUtteranceSeconds
    }
}

/// An utterance closed by trailing silence: its words and span in seconds.
public struct Utterance: Sendable, Equatable, Codable {
    public var words: [TranscribedWord]
    public var startSeconds: Double { words.first?.startSeconds ?? 0 }
    public var endSeconds: Double { words.last?.endSeconds ?? 0 }
    public var text: String { words.map(\.text).joined(separator: " ") }
}

/// What one call to the decoder changed.
public struct TranscriptUpdate: Sendable, Equatable {
    /// Words that became final with this update.
    public var finalWords: [TranscribedWord] = []
    /// The word being spoken, not yet final ("" when none).
    public var partialWord = ""
    /// Utterances closed by trailing silence, the maximum length or the end of the stream,
    /// in order (usually none or one).
    public var endedUtterances: [Utterance] = []
}

/// Greedy CTC decoding of logits as they stream in: a partial word updated every chunk,
/// final words with start and end times and confidence, and utterance endpoints from
/// trailing silence (a run of blank frames whose audio energy is also low).
public final class StreamingCTCDecoder {
    public let vocabulary: CTCVocabulary
    public let frameSeconds: Double
    public let endpoint: EndpointSettings

    private var previousToken = -1
    /// The word in progress: characters and the frames (with their posteriors) they won.
    private var wordText = ""
    private var wordFirstFrame = -1
    private var wordLastFrame = -1
    private var wordPosteriors: [Double] = []
    /// The loudest frame of the word in progress (nil without frame energies).
    private var wordLoudestDb: Float?
    private var utteranceWords: [TranscribedWord] = []
    private var silentRun = 0
    private var nextFrame = 0

    public init(vocabulary: CTCVocabulary, frameSeconds: Double = FrameGeometry.frameSeconds, endpoint: EndpointSettings = EndpointSettings()) {
        self.vocabulary = vocabulary
        self.frameSeconds = frameSeconds
        self.endpoint = endpoint
    }

    /// All final words since the last endpoint.
    public var currentUtterance: [TranscribedWord] { utteranceWords }

    /// Feeds the logits of consecutive frames `[frames, vocab]`; `frameEnergyDb`, one value
    /// per frame, lets silence close utterances (without it, blanks alone decide). Frames
    /// under `quietBelowDb` are quiet (default: the endpoint settings' threshold; a session
    /// on a noisy background raises it).
    public func feed(logits: Tensor, frameEnergyDb: [Float]? = nil, quietBelowDb: Float? = nil) -> TranscriptUpdate {
        let quietBelow = quietBelowDb ?? endpoint.silenceThresholdDb
        let frames = logits.shape[0]
        var update = TranscriptUpdate()
        let endpointFrames = max(1, Int((Double(endpoint.trailingSilenceMs) / 1000 / frameSeconds).rounded()))
        let posteriors = FramePosteriors(logits: logits, chosen: vocabulary.blank)
        for t in 0..<frames {
            let frame = nextFrame + t
            let best = posteriors.best[t]
            let posterior = Double(posteriors.bestPosterior[t])

            let isDelimiter = best == vocabulary.wordDelimiter
            let isBlank = best == vocabulary.blank || best >= vocabulary.tokens.count
            if isDelimiter {
                closeWord(into: &update)
            } else if !isBlank {
                let token = vocabulary.tokens[best]
                let special = token.hasPrefix("<") && token.hasSuffix(">")
                if !special {
                    if best != previousToken { wordText += token }
                    if wordFirstFrame < 0 { wordFirstFrame = frame }
                    wordLastFrame = frame
                    wordPosteriors.append(posterior)
                }
            }
            previousToken = best
            // Every frame from the word's first token on (its vowels may be blanks) counts for its loudness.
            if wordFirstFrame >= 0, let energy = frameEnergyDb, t < energy.count { wordLoudestDb = max(wordLoudestDb ?? -.infinity, energy[t]) }

            let quiet = frameEnergyDb.map { t < $0.count && $0[t] < quietBelow } ?? true
            silentRun = (isBlank || isDelimiter) && quiet ? silentRun + 1 : 0
            if silentRun == endpointFrames {
                closeWord(into: &update)
                if !utteranceWords.isEmpty {
                    update.endedUtterances.append(Utterance(words: utteranceWords))
                    utteranceWords = []
                }
            }
        }
        nextFrame += frames
        update.partialWord = wordText
        return update
    }

    /// Ends the stream: the word in progress becomes final and the utterance ends.
    public func finish() -> TranscriptUpdate {
        var update = TranscriptUpdate()
        closeWord(into: &update)
        if !utteranceWords.isEmpty {
            update.endedUtterances.append(Utterance(words: utteranceWords))
            utteranceWords = []
        }
        return update
    }

    private func closeWord(into update: inout TranscriptUpdate) {
        guard !wordText.isEmpty else { return }
        if let loudest = wordLoudestDb, loudest < endpoint.absoluteSilenceDb {
            (wordText, wordFirstFrame, wordLastFrame, wordPosteriors, wordLoudestDb) = ("", -1, -1, [], nil)
            return
        }
        let word = TranscribedWord(
            text: wordText, startSeconds: Double(wordFirstFrame) * frameSeconds,
            endSeconds: Double(wordLastFrame + 1) * frameSeconds,
            confidence: wordPosteriors.reduce(0, +) / Double(max(1, wordPosteriors.count)))
        update.finalWords.append(word)
        utteranceWords.append(word)
        wordText = ""
        wordFirstFrame = -1
        wordLastFrame = -1
        wordPosteriors = []
        wordLoudestDb = nil
        if let first = utteranceWords.first, word.endSeconds - first.startSeconds >= endpoint.maxUtteranceSeconds {
            update.endedUtterances.append(Utterance(words: utteranceWords))
            utteranceWords = []
        }
    }
}

/// Per-frame loudness for endpointing: RMS in dBFS of each frame's 320-sample hop.
public enum FrameEnergy {
    public static func decibels(_ samples: [Float], frames: Int, firstFrame: Int = 0, hop: Int = FrameGeometry.samplesPerFrame,
                                sampleOffset: Int = 0) -> [Float] {
        (0..<frames).map { f in
            let start = (firstFrame + f) * hop - sampleOffset
            let lo = max(0, start), hi = min(samples.count, start + hop)
            guard hi > lo else { return -120 }
            var sum: Float = 0
            for i in lo..<hi { sum += samples[i] * samples[i] }
            return 10 * log10(max(1e-12, sum / Float(hi - lo)))
        }
    }
}
