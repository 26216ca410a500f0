/// How the streaming encoder cuts the frame sequence into steps (20 ms frames).
///
/// Each step emits `chunkFrames` frames; the transformer sees `leftContextFrames` earlier
/// frames and waits for `lookaheadFrames` later ones, which it then discards.
/// window = left + chunk + lookahead; algorithmic latency = chunk + lookahead.
public struct StreamingSettings: Sendable, Equatable, Codable {
    public var chunkFrames: Int
    public var leftContextFrames: Int
    public var lookaheadFrames: Int
    /// Take the left context's hidden states from earlier steps instead of recomputing them
    /// with the new window: cheaper, approximate.
    public var reuseLeftContext: Bool

    public static let frameMilliseconds = 20

    public init(chunkFrames: Int, leftContextFrames: Int, lookaheadFrames: Int, reuseLeftContext: Bool = false) {
        self.chunkFrames = chunkFrames
        self.leftContextFrames = leftContextFrames
        self.lookaheadFrames = lookaheadFrames
        self.reuseLeftContext = reuseLeftContext
    }

    /// From milliseconds, rounded to whole 20 ms frames.
    public init(chunkMs: Int, leftContextMs: Int, lookaheadMs: Int, reuseLeftContext: Bool = false) {
        func frames(_ ms: Int) -> Int { Int((Double(ms) / Double(Self.frameMilliseconds)).rounded()) }
        self.init(chunkFrames: frames(chunkMs), leftContextFrames: frames(leftContextMs),
                  lookaheadFrames: frames(lookaheadMs), reuseLeftContext: reuseLeftContext)
    }

    public var windowFrames: Int { leftContextFrames + chunkFrames + lookaheadFrames }
    /// chunk + lookahead, in milliseconds.
    public var algorithmicLatencyMs: Int { (chunkFrames + lookaheadFrames) * Self.frameMilliseconds }
    /// Transformer work per emitted frame relative to offline: window / chunk (recomputing),
    /// (chunk + lookahead) / chunk when the left context is reused.
    public var costFactor: Double {
        Double(reuseLeftContext ? chunkFrames + lookaheadFrames : windowFrames) / Double(chunkFrames)
    }

    /// A sentence saying what is wrong, or nil.
    public var problem: String? {
        if chunkFrames < 1 { return "the chunk must be at least one frame (20 ms)" }
        if leftContextFrames < 0 || lookaheadFrames < 0 { return "left context and lookahead cannot be negative" }
        if windowFrames > 3_000 { return "the window (\(windowFrames) frames) is longer than 60 s" }
        return nil
    }

    public var summary: String {
        let f = Self.frameMilliseconds
        return "chunk \(chunkFrames * f) ms, left \(leftContextFrames * f) ms, lookahead \(lookaheadFrames * f) ms\(reuseLeftContext ? ", reuse" : "")"
    }
}
