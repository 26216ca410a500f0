import Foundation
import Synchronization
import ProscoreUnits

/// What to ask of a capture device.
public struct AlsaCaptureSettings: Sendable {
    /// Any PCM name ALSA knows: "default", "hw:X,Y", "plughw:X,Y", or one defined in the
    /// ALSA configuration (or in `configurationText`).
    public var device = "default"
    /// Formats to try, in order.
    public var formats: [AlsaSampleFormat] = [.s16, .s32, .float]
    /// Wished channel count (the device may give more; they are averaged).
    public var channels = 1
    /// Wished rate in Hz (any rate the device gives is converted to 16 kHz).
    public var sampleRate = FrameGeometry.sampleRate
    /// Frames per period (one read), and the ALSA buffer in frames.
    public var periodFrames = FrameGeometry.samplesPerFrame
    public var bufferFrames = FrameGeometry.samplesPerFrame * 8
    /// Extra ALSA configuration text defining PCMs (tests use a `file` PCM this way).
    public var configurationText: String?

    public init(device: String = "default") { self.device = device }
}

/// Live capture from an ALSA device on a thread of its own, into the ring buffer.
///
/// The thread reads one period at a time, converts it to mono Float32, resamples to 16 kHz
/// and writes to the ring; all its buffers are allocated before it starts. Overruns
/// (`-EPIPE`) are recovered and counted; losing the device (`-ENODEV`) or a read error
/// ends capture cleanly, and what was captured stays in the ring.
public final class AlsaCaptureSource: AudioSource, @unchecked Sendable {
    public let settings: AlsaCaptureSettings
    public var name: String { settings.device }
    /// What the device agreed to (after `start`).
    public private(set) var streamFormat: AlsaStreamFormat?
    /// Stop after this many captured frames at the device rate (nil: until `stop`).
    public var frameLimit: Int?

    private let stopRequested = Atomic<Bool>(false)
    private let delivered = Atomic<Int>(0)
    private let overruns = Atomic<Int>(0)
    private let endReason = Mutex<String?>(nil)
    /// When the capture loop started and ended (the pace check's wall clock).
    private let captureTimes = Mutex<(start: ContinuousClock.Instant?, end: ContinuousClock.Instant?)>((nil, nil))
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    public init(settings: AlsaCaptureSettings) {
        self.settings = settings
    }

    public var statistics: AudioSourceStatistics {
        var s = AudioSourceStatistics()
        s.deliveredSamples = delivered.load(ordering: .relaxed)
        s.overruns = overruns.load(ordering: .relaxed)
        s.endReason = endReason.withLock { $0 }
        let (start, end) = captureTimes.withLock { $0 }
        if let start {
            let wall = (end ?? .now) - start
            s.warning = Self.paceWarning(device: settings.device, audioSeconds: FrameGeometry.seconds(samples: s.deliveredSamples),
                                         wallSeconds: Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18)
        }
        return s
    }

    /// A device that delivers audio much faster than the clock runs is not capturing a room
    /// (ALSA's null PCM, a file plugin reading a file): a session hears whatever it can keep
    /// up with (the rest is counted as dropped). Nil for a device at real time.
    public static func paceWarning(device: String, audioSeconds: Double, wallSeconds: Double) -> String? {
        guard audioSeconds > 2 * wallSeconds && audioSeconds - wallSeconds > 1 else { return nil }
        return String(format: "%@ delivered %.1f s of audio in %.1f s: it does not capture in real time (ALSA's null PCM, or a file plugin "
                      + "reading a file); for a microphone, choose a device from `proscore devices`", device, audioSeconds, wallSeconds)
    }

    public func start(into ring: AudioRingBuffer) throws {
        precondition(thread == nil, "a capture source starts once")
        let pcm = try AlsaPCM(device: settings.device, configurationText: settings.configurationText)
        let format = try pcm.configure(formats: settings.formats, channels: settings.channels,
                                       sampleRate: settings.sampleRate, periodFrames: settings.periodFrames,
                                       bufferFrames: settings.bufferFrames)
        try start(into: ring, pcm: pcm, format: format)
    }

    /// Runs the capture loop on an opened, configured PCM.
    func start(into ring: AudioRingBuffer, pcm: CapturePCM, format: AlsaStreamFormat) throws {
        streamFormat = format
        let resampler = try Resampler(inputRate: format.sampleRate, maximumInputFrames: format.periodFrames)
        let t = Thread { [self] in
            capture(pcm: pcm, format: format, resampler: resampler, ring: ring)
            ring.finish()
            done.signal()
        }
        t.name = "proscore.capture"
        t.qualityOfService = .userInteractive
        thread = t
        t.start()
    }

    public func stop() {
        guard thread != nil else { return }
        stopRequested.store(true, ordering: .releasing)
        done.wait()
        done.signal()  // later calls return at once
    }

    /// Waits until capture ends on its own (frame limit reached, device lost).
    public func waitUntilFinished() {
        guard thread != nil else { return }
        done.wait()
        done.signal()
    }

    private func capture(pcm: CapturePCM, format: AlsaStreamFormat, resampler: Resampler, ring: AudioRingBuffer) {
        let frames = format.periodFrames
        let raw = UnsafeMutableRawPointer.allocate(byteCount: frames * format.channels * format.format.bytesPerSample,
                                                   alignment: 16)
        let mono = UnsafeMutablePointer<Float>.allocate(capacity: frames)
        defer { raw.deallocate(); mono.deallocate() }
        var captured = 0
        captureTimes.withLock { $0.start = .now }
        defer { captureTimes.withLock { $0.end = .now } }
        while !stopRequested.load(ordering: .acquiring) {
            let wanted = frameLimit.map { min(frames, $0 - captured) } ?? frames
            if wanted <= 0 { break }
            let n = pcm.read(into: raw, frames: wanted)
            if n == -Int(EPIPE) || n == -Int(ESTRPIPE) || n == -Int(EINTR) {
                if n == -Int(EPIPE) { overruns.add(1, ordering: .relaxed) }
                if pcm.recover(n) < 0 {
                    endReason.withLock { $0 = "could not recover from \(n == -Int(EPIPE) ? "an overrun" : "a suspend")" }
                    break
                }
                continue
            }
            if n == -Int(EAGAIN) { continue }
            if n < 0 {
                let why = n == -Int(ENODEV) ? "the device went away" : "read failed: \(String(cString: strerror(Int32(-n))))"
                endReason.withLock { $0 = why }
                break
            }
            captured += n
            switch format.format {
            case .s16:
                Downmix.average(raw.assumingMemoryBound(to: Int16.self), frames: n, channels: format.channels,
                                into: mono, scale: 1 / 32_768) { Float($0) }
            case .s32:
                Downmix.average(raw.assumingMemoryBound(to: Int32.self), frames: n, channels: format.channels,
                                into: mono, scale: 1 / 2_147_483_648) { Float($0) }
            case .float:
                Downmix.average(raw.assumingMemoryBound(to: Float.self), frames: n, channels: format.channels,
                                into: mono, scale: 1) { $0 }
            }
            resampler.process(UnsafeBufferPointer(start: mono, count: n)) { out in
                ring.write(out)
                delivered.add(out.count, ordering: .relaxed)
            }
        }
        resampler.process(UnsafeBufferPointer(start: mono, count: 0), flush: true) { out in
            ring.write(out)
            delivered.add(out.count, ordering: .relaxed)
        }
    }

    /// Capture-capable devices (`arecord -L`), as (name, description).
    /// Capture PCMs ALSA knows, plus the PCMs that `configurationText` defines
    /// (`pcm.NAME { … }` or `pcm { NAME { … } }` at the top level).
    public static func devices(configurationText: String? = nil) -> [(name: String, description: String)] {
        var devices = AlsaPCM.captureDevices()
        if let text = configurationText {
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for line in lines where line.hasPrefix("pcm.") {
                let name = line.dropFirst(4).prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
                if !name.isEmpty && !devices.contains(where: { $0.name == String(name) }) {
                    devices.append((String(name), "defined in the --alsa-config file"))
                }
            }
        }
        return devices
    }
}
