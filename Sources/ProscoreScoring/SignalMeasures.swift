import Foundation
import ProscoreUnits

/// Measures taken from the signal alone, so that recognition errors cannot reach them:
/// syllable nuclei (intensity peaks on voiced frames), pauses split by where they fall,
/// and pitch. Per span, like `FluencyMeasures`.
public struct SignalMeasures: Sendable, Equatable, Codable {
    /// Syllable nuclei found, and per second of the span and of phonation.
    public var nuclei: Int
    public var nucleiRate: Double
    public var nucleiArticulationRate: Double
    /// Silent pauses inside an utterance (shorter than the utterance break: mid-clause in
    /// the literature) and between utterances, per minute.
    public var midPausesPerMinute: Double
    public var betweenPausesPerMinute: Double
    /// Mean duration of the mid-utterance pauses, seconds (0 without any).
    public var meanMidPauseSeconds: Double
    /// Share of speech frames that are voiced.
    public var voicedRatio: Double
    /// F0 range (10th to 90th percentile) and standard deviation, in semitones.
    public var f0RangeSemitones: Double
    public var f0DeviationSemitones: Double
    /// Mean F0 slope within stretches between pauses, semitones per second (negative: falling).
    public var declinationSemitonesPerSecond: Double
    /// Mean F0 jump across pauses (median of 200 ms after against 200 ms before), semitones.
    public var pitchResetSemitones: Double
    /// Loudness alone (frames at −40 dBFS or louder): the span's length, its loud seconds,
    /// and the silent pauses between loud stretches (count and mean length). What the
    /// trivial baseline knows, so that a head can weigh it against everything else.
    public var spanSeconds: Double = 0
    public var loudSeconds: Double = 0
    public var loudPauses: Double = 0
    public var loudMeanPauseSeconds: Double = 0

    enum CodingKeys: String, CodingKey {
        case nuclei
        case nucleiRate = "nuclei_rate", nucleiArticulationRate = "nuclei_articulation_rate"
        case midPausesPerMinute = "mid_pauses_per_minute", betweenPausesPerMinute = "between_pauses_per_minute"
        case meanMidPauseSeconds = "mean_mid_pause_s", voicedRatio = "voiced_ratio"
        case f0RangeSemitones = "f0_range_st", f0DeviationSemitones = "f0_deviation_st"
        case declinationSemitonesPerSecond = "declination_st_per_s", pitchResetSemitones = "pitch_reset_st"
        case spanSeconds = "span_s", loudSeconds = "loud_s", loudPauses = "loud_pauses", loudMeanPauseSeconds = "loud_mean_pause_s"
    }

    public init(nuclei: Int, nucleiRate: Double, nucleiArticulationRate: Double, midPausesPerMinute: Double,
                betweenPausesPerMinute: Double, meanMidPauseSeconds: Double, voicedRatio: Double, f0RangeSemitones: Double,
                f0DeviationSemitones: Double, declinationSemitonesPerSecond: Double, pitchResetSemitones: Double,
                spanSeconds: Double, loudSeconds: Double, loudPauses: Double, loudMeanPauseSeconds: Double) {
        self.nuclei = nuclei
        self.nucleiRate = nucleiRate
        self.nucleiArticulationRate = nucleiArticulationRate
        self.midPausesPerMinute = midPausesPerMinute
        self.betweenPausesPerMinute = betweenPausesPerMinute
        self.meanMidPauseSeconds = meanMidPauseSeconds
        self.voicedRatio = voicedRatio
        self.f0RangeSemitones = f0RangeSemitones
        self.f0DeviationSemitones = f0DeviationSemitones
        self.declinationSemitonesPerSecond = declinationSemitonesPerSecond
        self.pitchResetSemitones = pitchResetSemitones
        self.spanSeconds = spanSeconds
        self.loudSeconds = loudSeconds
        self.loudPauses = loudPauses
        self.loudMeanPauseSeconds = loudMeanPauseSeconds
    }

    /// Stored estimates from before the loudness measures decode with them at 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(nuclei: try c.decode(Int.self, forKey: .nuclei), nucleiRate: try c.decode(Double.self, forKey: .nucleiRate),
                  nucleiArticulationRate: try c.decode(Double.self, forKey: .nucleiArticulationRate),
                  midPausesPerMinute: try c.decode(Double.self, forKey: .midPausesPerMinute),
                  betweenPausesPerMinute: try c.decode(Double.self, forKey: .betweenPausesPerMinute),
                  meanMidPauseSeconds: try c.decode(Double.self, forKey: .meanMidPauseSeconds),
                  voicedRatio: try c.decode(Double.self, forKey: .voicedRatio),
                  f0RangeSemitones: try c.decode(Double.self, forKey: .f0RangeSemitones),
                  f0DeviationSemitones: try c.decode(Double.self, forKey: .f0DeviationSemitones),
                  declinationSemitonesPerSecond: try c.decode(Double.self, forKey: .declinationSemitonesPerSecond),
                  pitchResetSemitones: try c.decode(Double.self, forKey: .pitchResetSemitones),
                  spanSeconds: try c.decodeIfPresent(Double.self, forKey: .spanSeconds) ?? 0,
                  loudSeconds: try c.decodeIfPresent(Double.self, forKey: .loudSeconds) ?? 0,
                  loudPauses: try c.decodeIfPresent(Double.self, forKey: .loudPauses) ?? 0,
                  loudMeanPauseSeconds: try c.decodeIfPresent(Double.self, forKey: .loudMeanPauseSeconds) ?? 0)
    }

    /// The measures a head may read, by name (scale-free, so they carry from utterances to
    /// rolling windows).
    public var named: [String: Double] {
        ["nuclei_rate": nucleiRate, "nuclei_articulation_rate": nucleiArticulationRate,
         "mid_pauses_per_minute": midPausesPerMinute, "between_pauses_per_minute": betweenPausesPerMinute,
         "mean_mid_pause_s": meanMidPauseSeconds, "voiced_ratio": voicedRatio, "f0_range_st": f0RangeSemitones,
         "f0_deviation_st": f0DeviationSemitones, "declination_st_per_s": declinationSemitonesPerSecond,
         "pitch_reset_st": pitchResetSemitones, "span_s": spanSeconds, "loud_s": loudSeconds, "loud_pauses": loudPauses,
         "loud_mean_pause_s": loudMeanPauseSeconds]
    }

    public static let featureNames = ["nuclei_rate", "nuclei_articulation_rate", "mid_pauses_per_minute", "between_pauses_per_minute",
                                      "mean_mid_pause_s", "voiced_ratio", "f0_range_st", "f0_deviation_st",
                                      "declination_st_per_s", "pitch_reset_st", "span_s", "loud_s", "loud_pauses",
                                      "loud_mean_pause_s"]
}

/// Computes `SignalMeasures` over a span of frames.
public struct SignalAnalyzer: Sendable {
    /// Silence at least this long is a pause; at least `utteranceBreakSeconds`, a break
    /// between utterances (the endpoint's trailing silence).
    public var pauseThresholdSeconds: Double
    public var utteranceBreakSeconds: Double
    public var frameSeconds = FrameGeometry.frameSeconds

    public init(pauseThresholdSeconds: Double = 0.25, utteranceBreakSeconds: Double = 0.6) {
        self.pauseThresholdSeconds = pauseThresholdSeconds
        self.utteranceBreakSeconds = utteranceBreakSeconds
    }

    /// Measures over frames `range` of the per-frame speech decisions, intensities (dBFS) and
    /// F0 (Hz, 0 unvoiced); frames at `loudThresholdDb` or over are loud (the energy-only
    /// measures: the session's silence threshold, else the trivial baseline's).
    public func measure(speech: [Bool], energyDb: [Float], f0Hz: [Float], range: Range<Int>? = nil,
                        loudThresholdDb: Float = TrivialBaseline.speechThresholdDb) -> SignalMeasures {
        let n = min(speech.count, energyDb.count, f0Hz.count)
        let span = (range ?? 0..<n).clamped(to: 0..<n)
        let seconds = Double(span.count) * frameSeconds
        let minutes = max(seconds, 1e-9) / 60
        let speechFrames = speech[span].filter { $0 }.count
        let phonation = Double(speechFrames) * frameSeconds
        let f0 = Array(f0Hz[span]), energy = Array(energyDb[span])
        // Nuclei only where the frame is speech (a voiced hum in a pause is no syllable).
        let gatedF0 = zip(f0, speech[span]).map { $1 ? $0 : 0 }
        let nuclei = SyllableNuclei.find(energyDb: energy, f0Hz: gatedF0).count

        let pauses = SilentPauses.find(in: speech, range: span, thresholdSeconds: pauseThresholdSeconds, frameSeconds: frameSeconds)
        let durations = pauses.map { Double($0.count) * frameSeconds }
        let mid = durations.filter { $0 < utteranceBreakSeconds }
        let between = durations.count - mid.count

        let voicedSpeech = zip(f0, speech[span]).filter { $1 && $0 > 0 }.map { Double($0.0) }
        let semitones = voicedSpeech.map { 12 * log2($0 / 100) }
        var range10to90 = 0.0, deviation = 0.0
        if semitones.count >= 5 {
            let sorted = semitones.sorted()
            range10to90 = sorted[Int(Double(sorted.count - 1) * 0.9)] - sorted[Int(Double(sorted.count - 1) * 0.1)]
            let mean = semitones.reduce(0, +) / Double(semitones.count)
            deviation = (semitones.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(semitones.count)).squareRoot()
        }

        // Stretches between pauses: F0 slope in each (least squares), weighted by voiced frames.
        var bounds = [span.lowerBound] + pauses.flatMap { [$0.lowerBound, $0.upperBound] } + [span.upperBound]
        if bounds.count % 2 == 1 { bounds.append(span.upperBound) }
        var slopeSum = 0.0, slopeWeight = 0.0
        for s in stride(from: 0, to: bounds.count - 1, by: 2) {
            let points = (bounds[s]..<bounds[s + 1]).compactMap { f -> (Double, Double)? in
                f0Hz[f] > 0 && speech[f] ? (Double(f) * frameSeconds, 12 * log2(Double(f0Hz[f]) / 100)) : nil
            }
            guard points.count >= 10 else { continue }
            let mx = points.map(\.0).reduce(0, +) / Double(points.count), my = points.map(\.1).reduce(0, +) / Double(points.count)
            let sxx = points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
            guard sxx > 0 else { continue }
            let slope = points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx
            slopeSum += slope * Double(points.count)
            slopeWeight += Double(points.count)
        }

        // Pitch reset: voiced medians 200 ms either side of each pause.
        let side = max(1, Int(0.2 / frameSeconds))
        func median(_ frames: Range<Int>) -> Double? {
            let v = frames.clamped(to: 0..<n).compactMap { f0Hz[$0] > 0 && speech[$0] ? Double(f0Hz[$0]) : nil }.sorted()
            return v.count >= 3 ? v[v.count / 2] : nil
        }
        let resets = pauses.compactMap { p -> Double? in
            guard let before = median((p.lowerBound - side)..<p.lowerBound), let after = median(p.upperBound..<(p.upperBound + side)) else { return nil }
            return abs(12 * log2(after / before))
        }

        let loud = energyDb.indices.map { energyDb[$0] >= loudThresholdDb }
        let loudPauses = SilentPauses.find(in: loud, range: span, thresholdSeconds: 0.25, frameSeconds: frameSeconds)
            .map { Double($0.count) * frameSeconds }
        return SignalMeasures(
            nuclei: nuclei, nucleiRate: seconds > 0 ? Double(nuclei) / seconds : 0,
            nucleiArticulationRate: phonation > 0 ? Double(nuclei) / phonation : 0,
            midPausesPerMinute: seconds > 0 ? Double(mid.count) / minutes : 0,
            betweenPausesPerMinute: seconds > 0 ? Double(between) / minutes : 0,
            meanMidPauseSeconds: mid.isEmpty ? 0 : mid.reduce(0, +) / Double(mid.count),
            voicedRatio: speechFrames > 0 ? Double(voicedSpeech.count) / Double(speechFrames) : 0,
            f0RangeSemitones: range10to90, f0DeviationSemitones: deviation,
            declinationSemitonesPerSecond: slopeWeight > 0 ? slopeSum / slopeWeight : 0,
            pitchResetSemitones: resets.isEmpty ? 0 : resets.reduce(0, +) / Double(resets.count),
            spanSeconds: seconds, loudSeconds: Double(span.filter { loud[$0] }.count) * frameSeconds,
            loudPauses: Double(loudPauses.count),
            loudMeanPauseSeconds: loudPauses.isEmpty ? 0 : loudPauses.reduce(0, +) / Double(loudPauses.count))
    }
}
