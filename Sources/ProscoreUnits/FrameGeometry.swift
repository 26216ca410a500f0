/// The one place for the numbers every stage shares: the pipeline's sample rate and the
/// encoder's frame (the product of the Wav2Vec2 conv strides, 5·2·2·2·2·2·2 = 320 samples).
public enum FrameGeometry {
    /// Audio inside the pipeline: Float32 mono at this rate (Hz).
    public static let sampleRate = 16_000
    /// Samples per encoder frame (the conv stack's hop).
    public static let samplesPerFrame = 320
    /// One frame in seconds (0.02) and milliseconds (20).
    public static let frameSeconds = Double(samplesPerFrame) / Double(sampleRate)
    public static let frameMilliseconds = samplesPerFrame * 1000 / sampleRate

    /// Seconds of pipeline audio in `samples`.
    public static func seconds(samples: Int) -> Double { Double(samples) / Double(sampleRate) }
    /// Samples in `seconds` of pipeline audio (rounded down).
    public static func samples(seconds: Double) -> Int { Int(seconds * Double(sampleRate)) }
    /// Whole frames in `seconds` (rounded down).
    public static func frames(seconds: Double) -> Int { Int((seconds / frameSeconds).rounded(.down)) }
}
