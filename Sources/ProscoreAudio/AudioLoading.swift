import ProscoreUnits
/// Reads a recording as the pipeline wants it: Float32, mono, 16 kHz.
public enum AudioLoading {
    public static let pipelineSampleRate = FrameGeometry.sampleRate

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
        interleaved.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Downmix.average(src.baseAddress!, frames: frames, channels: channels, into: dst.baseAddress!, scale: 1) { $0 }
            }
        }
        return out
    }
}

