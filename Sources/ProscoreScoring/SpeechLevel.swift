/// How loud a session's speech is and how loud its background, and from the two what the
/// measures' level thresholds see: a gain that brings the speech into the level range the
/// thresholds were set for, so that the same speech through a quiet microphone is measured
/// (and scored) as through a loud one; and a silence threshold that rises over a noisy
/// background, so that noise between words is not counted as speech.
///
/// The speech level is the 90th percentile of the voiced frames' levels so far (periodic
/// frames, as the pitch tracker finds them regardless of level; frames under `floorDb` left
/// out): voiced frames are speech, not noise, and the 90th percentile is the level of stressed
/// vowels, above hum or breath that may be voiced too. speechocean762's recordings put it at
/// -18 dBFS (median; -22 to -15 for half of them). Levels within `usualRangeDb` of that are left
/// as recorded; others are brought to the nearer edge of the range (within -`maximumCutDb`…
/// +`maximumBoostDb`), once `minimumVoicedFrames` were heard.
///
/// The background is the 10th percentile of all frames' levels; once `minimumFrames` were
/// heard, frames within `noiseMarginDb` of it count as quiet: the silence threshold is never
/// under `SpeechActivity`'s -40 dBFS, and a noisy background raises it at most to
/// `speechMarginDb` under the speech (or -40, whichever is higher).
public struct SpeechLevel: Sendable, Equatable {
    public static let referenceDb: Float = -18
    public static let usualRangeDb: Float = 6
    public static let maximumBoostDb: Float = 30
    public static let maximumCutDb: Float = 20
    public static let minimumVoicedFrames = 25
    public static let floorDb: Float = -70
    public static let minimumFrames = 50
    public static let noiseMarginDb: Float = 6
    public static let speechMarginDb: Float = 10
    /// The silence threshold on a quiet background (SpeechActivity's).
    public static let quietThresholdDb: Float = -40

    /// Voiced frames by level, 1 dB bins from `floorDb` up to 0 dBFS; all frames, from -120.
    private var voiced = [Int](repeating: 0, count: Int(-floorDb) + 1)
    private var all = [Int](repeating: 0, count: 121)
    private var voicedFrames = 0, frames = 0
    /// The gain in force (dB): what the measures add to every frame's level.
    public private(set) var gainDb: Float = 0
    /// The silence threshold in force, on the levels with the gain (dBFS).
    public private(set) var silenceThresholdDb: Float = quietThresholdDb
    public init() {}

    /// The 90th percentile of the voiced frames heard so far (nil before any).
    public var levelDb: Float? { Self.percentile(voiced, 0.9, count: voicedFrames).map { Self.floorDb + Float($0) } }

    /// The 10th percentile of all frames heard so far (nil before any).
    public var backgroundDb: Float? { Self.percentile(all, 0.1, count: frames).map { Float($0) - 120 } }

    /// Adds newly heard frames: every frame's level and the levels of the voiced ones (dBFS,
    /// as recorded); returns the gain now in force.
    @discardableResult
    public mutating func add(frameLevelsDb: [Float] = [], voicedLevelsDb: [Float]) -> Float {
        for level in voicedLevelsDb where level >= Self.floorDb && level.isFinite {
            voiced[Int(min(Float(voiced.count - 1), (level - Self.floorDb).rounded(.down)))] += 1
            voicedFrames += 1
        }
        for level in frameLevelsDb where !level.isNaN {
            all[Int(max(0, min(Float(all.count - 1), (level + 120).rounded(.down))))] += 1
            frames += 1
        }
        var speech: Float?
        if voicedFrames >= Self.minimumVoicedFrames, let level = levelDb {
            let lowest = Self.referenceDb - Self.usualRangeDb, highest = Self.referenceDb + Self.usualRangeDb
            let toUsual = level < lowest ? lowest - level : level > highest ? highest - level : 0
            gainDb = max(-Self.maximumCutDb, min(Self.maximumBoostDb, toUsual))
            speech = level + gainDb
        }
        if frames >= Self.minimumFrames, let background = backgroundDb {
            var threshold = max(Self.quietThresholdDb, background + gainDb + Self.noiseMarginDb)
            if let speech { threshold = min(threshold, max(Self.quietThresholdDb, speech - Self.speechMarginDb)) }
            silenceThresholdDb = threshold
        }
        return gainDb
    }

    private static func percentile(_ histogram: [Int], _ p: Double, count: Int) -> Int? {
        guard count > 0 else { return nil }
        let target = Int((p * Double(count)).rounded(.up))
        var seen = 0
        for (bin, n) in histogram.enumerated() {
            seen += n
            if seen >= max(1, target) { return bin }
        }
        return histogram.count - 1
    }
}
