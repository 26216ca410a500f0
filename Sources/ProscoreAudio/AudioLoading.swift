/// Reads a recording as the pipeline wants it: Float32, mono, 16 kHz.
public enum AudioLoading {
    public static let pipelineSampleRate = 16_000

    /// Mono 16 kHz samples of the file at `path` (channels averaged, rate converted).
    public static func load16kMono(path: String) throws -> [Float] {
        let file = try SoundFile(path: path)
        let mono = downmix(try file.readInterleaved(), channels: file.channels)
        return try Resampler(inputRate: file.sampleRate, outputRate: pipelineSampleRate).convert(mono)
    }

    /// Averages interleaved channels.
    public static func downmix(_ interleaved: [Float], channels: Int) -> [Float] {
        guard channels > 1 else { return interleaved }
        let frames = interleaved.count / channels
        var out = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        for f in 0..<frames {
            var s: Float = 0
            for c in 0..<channels { s += interleaved[f * channels + c] }
            out[f] = s * scale
        }
        return out
    }
}

