/// Something that delivers Float32 mono 16 kHz audio into a ring buffer from a thread of
/// its own: a capture device or a recording replayed as a stream.
public protocol AudioSource: AnyObject {
    /// What is being captured, for people (device name, file path).
    var name: String { get }
    /// Starts delivering into `ring`; returns at once. Errors in opening surface here.
    func start(into ring: AudioRingBuffer) throws
    /// Asks the source to stop and waits until it has; the ring is then finished.
    func stop()
    /// Counters of what happened so far.
    var statistics: AudioSourceStatistics { get }
}

/// Counters a source keeps while it runs.
public struct AudioSourceStatistics: Sendable, Equatable {
    /// Samples delivered to the ring, at 16 kHz.
    public var deliveredSamples = 0
    /// Capture overruns recovered with `snd_pcm_recover` (audio lost inside the device).
    public var overruns = 0
    /// Why the source ended early (device lost, read error), if it did.
    public var endReason: String?
    /// The early end was the producer going away (a network client that disconnected), not
    /// a fault: the session is `interrupted`, not `failed`.
    public var producerLeft = false
    /// Something a person should know that did not stop the source (a truncated file).
    public var warning: String?

    public init() {}
}

/// Interleaved device or file samples → mono Float32, into preallocated memory.
enum Downmix {
    /// Averages `channels` interleaved channels of `frames` frames into `mono`.
    static func average<T>(_ interleaved: UnsafePointer<T>, frames: Int, channels: Int,
                           into mono: UnsafeMutablePointer<Float>, scale: Float,
                           _ convert: (T) -> Float) {
        if channels == 1 {
            for f in 0..<frames { mono[f] = convert(interleaved[f]) * scale }
            return
        }
        let s = scale / Float(channels)
        for f in 0..<frames {
            var sum: Float = 0
            for c in 0..<channels { sum += convert(interleaved[f * channels + c]) }
            mono[f] = sum * s
        }
    }
}
