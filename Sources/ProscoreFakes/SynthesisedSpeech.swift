import Foundation

/// English speech for tests, from Debian's espeak-ng (`make setup` installs it).
public enum SynthesisedSpeech {
    /// Speaks `text` into the WAV file `path` at `rate` words per minute, with `gap` × 10 ms
    /// of extra silence between words; returns `path`.
    @discardableResult
    public static func espeak(_ text: String, rate: Int = 150, gap: Int = 0, to path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        p.arguments = ["-v", "en-us", "-s", "\(rate)"] + (gap > 0 ? ["-g", "\(gap)"] : []) + ["-w", path, text]
        try p.run()
        p.waitUntilExit()
        return path
    }
}
