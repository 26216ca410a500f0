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

    /// One sample as 16-bit PCM: scaled by 32 768 and rounded, the inverse of libsndfile's
    /// reading (which divides by 32 768), so 16-bit audio round-trips bit for bit.
    @inline(__always)
    public static func int16(_ sample: Float) -> Int16 {
        Int16(max(-32_768, min(32_767, (sample * 32_768).rounded())))
    }

    /// Samples as little-endian 16-bit PCM bytes (`pcm_s16le`, what `serve`'s streams take).
    public static func pcm16LittleEndian(_ samples: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples.count * 2)
        for s in samples {
            let v = UInt16(bitPattern: int16(s))
            bytes.append(UInt8(v & 0xff))
            bytes.append(UInt8(v >> 8))
        }
        return bytes
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

