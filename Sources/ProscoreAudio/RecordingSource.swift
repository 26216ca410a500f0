import CSndFile
import Foundation
import Synchronization
import ProscoreUnits

/// How fast a recording is replayed.
public enum ReplaySpeed: Sendable, Equatable {
    /// `factor` × real time (1 = as if live).
    case paced(factor: Double)
    /// As fast as the consumer takes it: waits for room in the ring, never drops.
    case asFastAsConsumed
}

/// A recording replayed through the same ring buffer as live capture, on its own thread.
public final class RecordingSource: AudioSource, @unchecked Sendable {
    public let path: String
    public var name: String { path }
    public let speed: ReplaySpeed
    /// The file's own rate and channels.
    public let fileSampleRate: Int
    public let fileChannels: Int
    private let file: SoundFile
    private let startFrame: Int
    private let frameCount: Int

    private let stopRequested = Atomic<Bool>(false)
    private let delivered = Atomic<Int>(0)
    private let truncation = Mutex<String?>(nil)
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    /// Opens `path` (any format libsndfile reads). `offsetSeconds` and `durationSeconds`
    /// choose the part to replay.
    public init(path: String, speed: ReplaySpeed = .paced(factor: 1),
                offsetSeconds: Double = 0, durationSeconds: Double? = nil) throws {
        let file = try SoundFile(path: path)
        guard file.frames > 0 else { throw AudioFileError.empty(path: path) }
        if let promised = file.promisedFrames, promised > file.frames {
            truncation.withLock { $0 = Self.truncationWarning(path: path, readSeconds: Double(file.frames) / Double(file.sampleRate),
                                                               promisedSeconds: Double(promised) / Double(file.sampleRate)) }
        }
        self.file = file
        self.path = path
        self.speed = speed
        let rate = file.sampleRate
        fileSampleRate = rate
        fileChannels = file.channels
        let first = min(file.frames, Int(max(0, offsetSeconds) * Double(rate)))
        startFrame = first
        let remaining = file.frames - first
        frameCount = durationSeconds.map { min(remaining, Int(max(0, $0) * Double(rate))) } ?? remaining
        guard frameCount > 0 else {
            throw AudioFileError.outOfRange(path: path, detail: String(
                format: "the %g s offset is at or past the end of the recording (%.2f s long); choose a smaller --offset",
                offsetSeconds, Double(file.frames) / Double(rate)))
        }
    }

    static func truncationWarning(path: String, readSeconds: Double, promisedSeconds: Double) -> String {
        String(format: "%@ ends after %.2f s although its header promises %.2f s: the file is truncated (everything readable was used)",
               path, readSeconds, promisedSeconds)
    }

    public var statistics: AudioSourceStatistics {
        var s = AudioSourceStatistics()
        s.deliveredSamples = delivered.load(ordering: .relaxed)
        s.warning = truncation.withLock { $0 }
        return s
    }

    /// Seconds of audio that will be replayed.
    public var durationSeconds: Double { Double(frameCount) / Double(fileSampleRate) }

    public func start(into ring: AudioRingBuffer) throws {
        precondition(thread == nil, "a recording source starts once")
        let block = 1_024
        let resampler = try Resampler(inputRate: fileSampleRate, maximumInputFrames: block)
        try file.seek(toFrame: startFrame)
        let t = Thread { [self] in
            replay(resampler: resampler, block: block, ring: ring)
            ring.finish()
            done.signal()
        }
        t.name = "proscore.replay"
        thread = t
        t.start()
    }

    public func stop() {
        guard thread != nil else { return }
        stopRequested.store(true, ordering: .releasing)
        waitUntilFinished()
    }

    /// Waits until the whole recording has been delivered (or `stop` was called).
    public func waitUntilFinished() {
        guard thread != nil else { return }
        done.wait()
        done.signal()
    }

    private func replay(resampler: Resampler, block: Int, ring: AudioRingBuffer) {
        let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: block * fileChannels)
        let mono = UnsafeMutablePointer<Float>.allocate(capacity: block)
        defer { interleaved.deallocate(); mono.deallocate() }
        let started = DispatchTime.now().uptimeNanoseconds
        var left = frameCount
        func deliver(_ out: UnsafeBufferPointer<Float>) {
            if case .asFastAsConsumed = speed {
                while ring.freeSpace < out.count && !stopRequested.load(ordering: .acquiring) { usleep(500) }
            }
            ring.write(out)
            let total = delivered.add(out.count, ordering: .relaxed).newValue
            if case let .paced(factor) = speed {
                // Sleep until the wall clock catches up with the audio delivered so far.
                let due = started + UInt64(FrameGeometry.seconds(samples: total) / factor * 1e9)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32(min(1_000_000, (due - now) / 1000))) }
            }
        }
        while left > 0 && !stopRequested.load(ordering: .acquiring) {
            let n = file.read(into: interleaved, frames: min(block, left))
            if n <= 0 {
                let read = Double(frameCount - left) / Double(fileSampleRate), promised = Double(frameCount) / Double(fileSampleRate)
                // An MP3's length is an estimate that its decoded audio often falls short of.
                if !file.isMPEG {
                    truncation.withLock { $0 = Self.truncationWarning(path: path, readSeconds: read, promisedSeconds: promised) }
                }
                resampler.process(UnsafeBufferPointer(start: mono, count: 0), flush: true, deliver)
                break
            }
            left -= n
            Downmix.average(interleaved, frames: n, channels: fileChannels, into: mono, scale: 1) { $0 }
            resampler.process(UnsafeBufferPointer(start: mono, count: n), flush: left == 0, deliver)
        }
    }
}
