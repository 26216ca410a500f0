/// How loud a session's speech is, and the gain that brings it to the level the measures'
/// thresholds were set for, so that the same speech through a quiet microphone is measured
/// (and scored) as it is through a loud one.
///
/// The level is the 90th percentile of the voiced frames' levels so far (periodic frames, as
/// the pitch tracker finds them regardless of level; frames under `floorDb` left out): voiced
/// frames are speech, not noise, and the 90th percentile is the level of stressed vowels,
/// above hum or breath that may be voiced too. The gain is `referenceDb` minus that level,
/// within -`maximumCutDb`…+`maximumBoostDb`, and 0 until `minimumVoicedFrames` were heard.
/// speechocean762's recordings put the level at -18 dBFS (median; -22 to -15 for half of
/// them), so a recording at that level is measured as before.
public struct SpeechLevel: Sendable, Equatable {
    public static let referenceDb: Float = -18
    /// Levels within this of the reference are left as they are; others are brought to the
    /// nearer edge of that range.
    public static let usualRangeDb: Float = 6
    public static let maximumBoostDb: Float = 30
    public static let maximumCutDb: Float = 20
    public static let minimumVoicedFrames = 25
    public static let floorDb: Float = -70

    /// Voiced frames by level, 1 dB bins from `floorDb` up to 0 dBFS.
    private var histogram = [Int](repeating: 0, count: Int(-floorDb) + 1)
    private var voicedFrames = 0
    /// The gain in force (dB): what the measures add to every frame's level.
    public private(set) var gainDb: Float = 0

    /// Whether the gain follows the voiced frames (false: it stays 0, levels as recorded).
    public let tracks: Bool

    public init() { tracks = true }

    private init(tracks: Bool) { self.tracks = tracks }

    /// A level that never changes the gain: the frames keep the levels they were recorded at.
    public static var fixed: SpeechLevel { SpeechLevel(tracks: false) }

    /// The 90th percentile of the voiced frames heard so far (nil before any).
    public var levelDb: Float? {
        guard voicedFrames > 0 else { return nil }
        let target = Int((0.9 * Double(voicedFrames)).rounded(.up))
        var seen = 0
        for (bin, n) in histogram.enumerated() {
            seen += n
            if seen >= target { return Self.floorDb + Float(bin) }
        }
        return 0
    }

    /// Adds the levels (dBFS, before any gain) of newly heard voiced frames; returns the gain
    /// now in force.
    @discardableResult
    public mutating func add(voicedLevelsDb: [Float]) -> Float {
        guard tracks else { return 0 }
        for level in voicedLevelsDb where level >= Self.floorDb {
            histogram[min(histogram.count - 1, Int((level - Self.floorDb).rounded(.down)))] += 1
            voicedFrames += 1
        }
        if voicedFrames >= Self.minimumVoicedFrames, let level = levelDb {
            let lowest = Self.referenceDb - Self.usualRangeDb, highest = Self.referenceDb + Self.usualRangeDb
            let toUsual = level < lowest ? lowest - level : level > highest ? highest - level : 0
            gainDb = max(-Self.maximumCutDb, min(Self.maximumBoostDb, toUsual))
        }
        return gainDb
    }
}
