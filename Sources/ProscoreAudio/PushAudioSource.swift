import Foundation
import ProscoreUnits

/// Interleaved little-endian PCM, as a network client sends it.
public enum PCMEncoding: String, Sendable, CaseIterable, Codable {
    case s16le = "pcm_s16le"
    case f32le = "pcm_f32le"

    /// Bytes of one sample of one channel.
    public var bytesPerSample: Int { self == .s16le ? 2 : 4 }
}

/// Audio that someone else hands over piece by piece (a WebSocket client's binary
/// frames), converted at the source (any rate, channels and sample format → Float32 mono
/// 16 kHz) and written into the session's ring buffer.
///
/// Pushing is split in two so that the producer can wait without blocking a thread:
/// `push` converts one piece into a queue of at most that piece's samples, and `drain`
/// moves the queue into the ring as far as the ring has room. A producer that sends faster
/// than the pipeline reads waits (`drain` returns false) instead of buffering without bound
/// or overwriting unread audio. Used by one producer at a time; `stop` may come from any
/// thread (the pipeline's).
public final class PushAudioSource: AudioSource, @unchecked Sendable {
    public let name: String
    /// What the producer sends: rate in Hz, channels, sample format.
    public let sampleRate: Int
    public let channels: Int
    public let encoding: PCMEncoding
    private let resampler: Resampler
    private let lock = NSLock()
    private var ring: AudioRingBuffer?
    /// Bytes of an incomplete frame (all channels of one sample) kept for the next push.
    private var carry: [UInt8] = []
    /// Converted 16 kHz samples waiting for room in the ring, from `pendingStart` on.
    private var pending: [Float] = []
    private var pendingStart = 0
    private var ended = false
    private var delivered = 0
    private var endReason: String?
    private var mono: [Float] = []

    /// Throws for a rate libsoxr cannot convert or a channel count outside 1–8.
    public init(name: String, sampleRate: Int, channels: Int, encoding: PCMEncoding) throws {
        guard (1...8).contains(channels) else { throw PushAudioError.unsupportedChannels(channels) }
        self.name = name
        self.sampleRate = sampleRate
        self.channels = channels
        self.encoding = encoding
        resampler = try Resampler(inputRate: sampleRate)
    }

    public func start(into ring: AudioRingBuffer) throws {
        lock.lock()
        defer { lock.unlock() }
        precondition(self.ring == nil, "a push source starts once")
        self.ring = ring
        if ended { ring.finish() }
    }

    /// Ends the stream from the pipeline's side: queued audio is dropped, later pushes are
    /// ignored and the ring is finished.
    public func stop() {
        end(reason: nil)
    }

    public var statistics: AudioSourceStatistics {
        lock.lock()
        defer { lock.unlock() }
        var s = AudioSourceStatistics()
        s.deliveredSamples = delivered
        s.endReason = endReason
        s.producerLeft = endReason != nil
        return s
    }

    /// Converts `bytes` (any length: an incomplete frame waits for the next push) and queues
    /// the 16 kHz samples; call `drain` until it returns true before the next push.
    public func push(_ bytes: UnsafeRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        guard !ended else { return }
        let frameBytes = encoding.bytesPerSample * channels
        var joined = carry
        joined.append(contentsOf: bytes)
        let frames = joined.count / frameBytes
        carry = Array(joined[(frames * frameBytes)...])
        guard frames > 0 else { return }
        if mono.count < frames { mono = [Float](repeating: 0, count: frames) }
        joined.withUnsafeBytes { raw in
            mono.withUnsafeMutableBufferPointer { out in
                convert(raw, frames: frames, into: out.baseAddress!)
            }
        }
        mono.withUnsafeBufferPointer { m in
            resampler.process(UnsafeBufferPointer(rebasing: m[0..<frames])) { pending.append(contentsOf: $0) }
        }
    }

    /// Flushes the resampler's tail into the queue: the producer has nothing more to send.
    public func flush() {
        lock.lock()
        defer { lock.unlock() }
        guard !ended else { return }
        carry = []
        resampler.process(UnsafeBufferPointer(start: nil, count: 0), flush: true) { pending.append(contentsOf: $0) }
    }

    /// Writes queued samples into the ring as far as it has room; true when none are left
    /// waiting (or the source has ended). Never blocks.
    @discardableResult
    public func drain() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if ended { pending = []; pendingStart = 0; return true }
        guard let ring else { return pending.count == pendingStart }
        let n = min(pending.count - pendingStart, ring.freeSpace)
        if n > 0 {
            pending.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[pendingStart..<(pendingStart + n)])) }
            pendingStart += n
            delivered += n
        }
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
            return true
        }
        return false
    }

    /// Ends the stream: the ring is finished once everything queued so far was drained by
    /// the caller. `reason` marks an early end (the client went away) for the session record.
    public func end(reason: String?) {
        lock.lock()
        if !ended {
            ended = true
            endReason = reason
            pending = []
            pendingStart = 0
        }
        let ring = self.ring
        lock.unlock()
        ring?.finish()
    }

    /// Whether the stream has ended (stopped by the pipeline or ended by the producer).
    public var hasEnded: Bool { lock.lock(); defer { lock.unlock() }; return ended }

    private func convert(_ raw: UnsafeRawBufferPointer, frames: Int, into out: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(channels)
        switch encoding {
        case .s16le:
            for f in 0..<frames {
                var sum: Float = 0
                for c in 0..<channels {
                    let v = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: (f * channels + c) * 2, as: Int16.self))
                    sum += Float(v) / 32_768
                }
                out[f] = sum * scale
            }
        case .f32le:
            for f in 0..<frames {
                var sum: Float = 0
                for c in 0..<channels {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (f * channels + c) * 4, as: UInt32.self))
                    let v = Float(bitPattern: bits)
                    sum += v.isFinite ? max(-1, min(1, v)) : 0
                }
                out[f] = sum * scale
            }
        }
    }
}

/// Why pushed audio cannot be taken.
public enum PushAudioError: Error, Equatable, CustomStringConvertible {
    case unsupportedChannels(Int)

    public var description: String {
        switch self {
        case let .unsupportedChannels(n): return "\(n) channels: 1 to 8 are supported."
        }
    }
}
