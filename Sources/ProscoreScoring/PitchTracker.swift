import Foundation
import ProscoreUnits

/// Fundamental frequency per 20 ms frame by YIN (de Cheveigné & Kawahara, 2002): the
/// cumulative-mean-normalised difference function of a 32 ms window centred on the frame,
/// its first dip under the threshold, refined by parabolic interpolation. A frame is
/// voiced when such a dip exists within the allowed F0 range and the frame is loud enough.
public struct PitchTracker: Sendable, Equatable {
    public var minimumHz: Double = 60
    public var maximumHz: Double = 500
    /// Dips of the normalised difference under this count as periodic (YIN's 0.1–0.2).
    public var threshold: Float = 0.2
    /// Frames quieter than this (dBFS RMS over the window) are unvoiced.
    public var minimumLevelDb: Float = -55
    /// Analysis window in samples (32 ms: two periods of 62.5 Hz).
    public var windowSamples = 512

    public init() {}

    /// F0 and level of `frames` consecutive frames from `firstFrame`, whatever their level:
    /// the caller holds the level (with any gain) against `minimumLevelDb`.
    public func periodicity(samples: [Float], frames: Int, firstFrame: Int = 0, sampleOffset: Int = 0) -> [(hz: Float, levelDb: Float)] {
        (0..<frames).map { periodicity(samples: samples, frame: firstFrame + $0, sampleOffset: sampleOffset) }
    }

    /// F0 in Hz of frame `frame` whatever its level (0 when aperiodic, or under
    /// `minimumLevelDb` by more than any gain), and the frame's level (dBFS RMS over the window).
    /// `samples[0]` is stream sample `sampleOffset`; samples outside `samples` count as silence.
    /// The caller decides voicing: a frame is voiced when its level, with any gain, is at least
    /// `minimumLevelDb`.
    public func periodicity(samples: [Float], frame: Int, sampleOffset: Int = 0) -> (hz: Float, levelDb: Float) {
        let rate = Double(FrameGeometry.sampleRate)
        let centre = frame * FrameGeometry.samplesPerFrame + 200 - sampleOffset  // centre of the frame's 400-sample field
        let start = centre - windowSamples / 2
        let maxLag = Int(rate / minimumHz), minLag = max(2, Int(rate / maximumHz))
        let half = windowSamples / 2
        guard start >= 0, start + half + maxLag < samples.count else { return (0, -120) }
        return samples.withUnsafeBufferPointer { x -> (hz: Float, levelDb: Float) in
            let base = x.baseAddress! + start
            var energy: Float = 0
            for i in 0..<windowSamples where start + i < samples.count { energy += base[i] * base[i] }
            let levelDb = 10 * log10(max(1e-12, energy / Float(windowSamples)))
            // Digital silence and the quietest hiss are aperiodic at any gain the level allows.
            guard levelDb >= minimumLevelDb - SpeechLevel.maximumBoostDb else { return (0, levelDb) }
            // d(τ) over the first half-window, compared with the signal τ later.
            var d = [Float](repeating: 0, count: maxLag + 2)
            for tau in 1...(maxLag + 1) {
                var sum: Float = 0
                for i in 0..<half {
                    let diff = base[i] - base[i + tau]
                    sum += diff * diff
                }
                d[tau] = sum
            }
            // Cumulative mean normalisation.
            var running: Float = 0
            var dn = [Float](repeating: 1, count: maxLag + 2)
            for tau in 1...(maxLag + 1) {
                running += d[tau]
                dn[tau] = running > 0 ? d[tau] * Float(tau) / running : 1
            }
            var tau = minLag
            while tau <= maxLag {
                if dn[tau] < threshold {
                    while tau + 1 <= maxLag && dn[tau + 1] < dn[tau] { tau += 1 }
                    let (a, b, c) = (dn[tau - 1], dn[tau], dn[tau + 1])
                    let denominator = a - 2 * b + c
                    let shift = denominator != 0 ? 0.5 * (a - c) / denominator : 0
                    return (Float(rate) / (Float(tau) + max(-1, min(1, shift))), levelDb)
                }
                tau += 1
            }
            return (0, levelDb)
        }
    }
}

/// Syllable nuclei from the signal, ASR-independent (after de Jong & Wempe, 2009): peaks of
/// frame intensity that rise at least `minimumDipDb` above the dip before them, stand at
/// least `aboveMedianDb` over the median intensity of the span, and fall on voiced frames.
public enum SyllableNuclei {
    public static let minimumDipDb: Float = 2
    public static let aboveMedianDb: Float = 2
    public static let floorDb: Float = -50

    /// Frame indices (within `energyDb`) of the nuclei. `f0Hz` is 0 on unvoiced frames.
    public static func find(energyDb: [Float], f0Hz: [Float]) -> [Int] {
        let n = min(energyDb.count, f0Hz.count)
        guard n >= 3 else { return [] }
        // Smooth over three frames (60 ms) so one syllable gives one peak.
        var smooth = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let lo = max(0, i - 1), hi = min(n - 1, i + 1)
            var s: Float = 0
            for j in lo...hi { s += energyDb[j] }
            smooth[i] = s / Float(hi - lo + 1)
        }
        let sorted = smooth.sorted()
        let threshold = max(floorDb, sorted[n / 2] + aboveMedianDb)
        var nuclei: [Int] = []
        var dipSincePeak = Float.infinity  // lowest intensity since the last accepted peak
        var lastPeakValue: Float = -.infinity
        for i in 1..<(n - 1) {
            dipSincePeak = min(dipSincePeak, smooth[i])
            guard smooth[i] >= smooth[i - 1], smooth[i] > smooth[i + 1], smooth[i] >= threshold, f0Hz[i] > 0 else { continue }
            if nuclei.isEmpty || (smooth[i] - dipSincePeak >= minimumDipDb && lastPeakValue - dipSincePeak >= minimumDipDb) {
                nuclei.append(i)
                lastPeakValue = smooth[i]
                dipSincePeak = smooth[i]
            } else if smooth[i] > lastPeakValue, let last = nuclei.last, i - last < 5 {
                // A higher top of the same syllable: move the nucleus there.
                nuclei[nuclei.count - 1] = i
                lastPeakValue = smooth[i]
                dipSincePeak = smooth[i]
            }
        }
        return nuclei
    }
}
