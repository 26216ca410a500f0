/// The stretch of a span that the speaker fills: from its first speech frame to the end of
/// its last. Silence before the speaker starts, and after they stop (waiting to press Stop,
/// say), tells how the recording was made, not how the speaker speaks: rates, ratios and the
/// pooled layers are measured over the extent, while the pauses inside it still count.
public enum SpeechExtent {
    /// `range` (clamped to `speech`) trimmed to its speech frames; the clamped range itself
    /// when it holds none.
    public static func of(_ speech: [Bool], in range: Range<Int>) -> Range<Int> {
        let span = range.clamped(to: 0..<speech.count)
        guard let first = speech[span].firstIndex(of: true), let last = speech[span].lastIndex(of: true) else { return span }
        return first..<(last + 1)
    }
}
