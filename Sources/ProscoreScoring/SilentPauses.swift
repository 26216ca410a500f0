import ProscoreUnits

/// The one definition of a silent pause: a run of non-speech frames at least the
/// threshold long with speech on both sides (leading and trailing silence are not pauses).
public enum SilentPauses {
    /// Frame ranges of the silent pauses in `speech[range]`.
    public static func find(in speech: [Bool], range: Range<Int>? = nil, thresholdSeconds: Double,
                            frameSeconds: Double = FrameGeometry.frameSeconds) -> [Range<Int>] {
        let span = range ?? speech.indices
        var pauses: [Range<Int>] = []
        var runStart: Int?
        var seenSpeech = false
        for f in span {
            if speech[f] {
                if let r = runStart, seenSpeech, Double(f - r) * frameSeconds >= thresholdSeconds { pauses.append(r..<f) }
                runStart = nil
                seenSpeech = true
            } else if runStart == nil {
                runStart = f
            }
        }
        return pauses
    }
}
