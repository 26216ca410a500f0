import Foundation
import ProscoreUnits

/// The trivial baselines every validity number is shown next to: what loudness alone says
/// about speech duration and pauses (no model), and the length of the reference text.
public enum TrivialBaseline {
    /// Frames at least this loud (dBFS RMS) are speech.
    public static let speechThresholdDb: Float = -40

    public static let energyNames = ["duration_s", "speech_s", "phonation_ratio", "pauses", "mean_pause_s", "pauses_per_minute"]
    public static let referenceNames = ["reference_words", "reference_characters"]

    /// Energy-based speech duration and pauses of 16 kHz mono `samples`.
    public static func energyFeatures(samples: [Float]) -> [String: Double] {
        let hop = FrameGeometry.samplesPerFrame
        let frames = samples.count / hop
        let speech = (0..<frames).map { f -> Bool in
            var sum: Float = 0
            for i in (f * hop)..<((f + 1) * hop) { sum += samples[i] * samples[i] }
            return 10 * log10(max(1e-12, sum / Float(hop))) >= speechThresholdDb
        }
        let pauses = SilentPauses.find(in: speech, thresholdSeconds: 0.25).map { Double($0.count) * FrameGeometry.frameSeconds }
        let duration = FrameGeometry.seconds(samples: samples.count)
        let speechSeconds = Double(speech.filter { $0 }.count) * FrameGeometry.frameSeconds
        return ["duration_s": duration, "speech_s": speechSeconds, "phonation_ratio": duration > 0 ? speechSeconds / duration : 0,
                "pauses": Double(pauses.count), "mean_pause_s": pauses.isEmpty ? 0 : pauses.reduce(0, +) / Double(pauses.count),
                "pauses_per_minute": duration > 0 ? Double(pauses.count) / (duration / 60) : 0]
    }

    /// Words and letters of the text meant to be read.
    public static func referenceFeatures(text: String) -> [String: Double] {
        let words = text.split(whereSeparator: { $0.isWhitespace })
        return ["reference_words": Double(words.count), "reference_characters": Double(words.reduce(0) { $0 + $1.filter(\.isLetter).count })]
    }
}
