/// Reads a recording as the pipeline wants it: Float32, mono, 16 kHz.
public enum AudioLoading {
    public static let pipelineSampleRate = 16_000

    /// Mono 16 kHz samples of the file at `path` (channels averaged, rate converted).
    public static func load16kMono(path: String) throws -> [Float] {
        let file = try SoundFile(path: path)
        let mono = downmix(try file.readInterleaved(), channels: file.channels)
        return LinearResampler.resample(mono, from: file.sampleRate, to: pipelineSampleRate)
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

/// Linear-interpolation rate conversion. Good enough for offline `encode` of speech; it
/// does not band-limit, so content above the new Nyquist frequency aliases.
public enum LinearResampler {
    public static func resample(_ x: [Float], from inRate: Int, to outRate: Int) -> [Float] {
        guard inRate != outRate, !x.isEmpty else { return x }
        let outCount = Int((Double(x.count) * Double(outRate) / Double(inRate)).rounded(.down))
        let step = Double(inRate) / Double(outRate)
        var y = [Float](repeating: 0, count: outCount)
        for i in 0..<outCount {
            let pos = Double(i) * step
            let j = Int(pos)
            let frac = Float(pos - Double(j))
            let a = x[j], b = j + 1 < x.count ? x[j + 1] : x[j]
            y[i] = a + (b - a) * frac
        }
        return y
    }
}
