import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreUnits

extension ReplaySpeed: ExpressibleByArgument {
    /// `1`, `4`, `0.5` (× real time) or `max`.
    public init?(argument: String) {
        if argument == "max" { self = .asFastAsConsumed; return }
        guard let factor = Double(argument), factor > 0, factor <= 1000 else { return nil }
        self = .paced(factor: factor)
    }

    public static var defaultCompletionKind: CompletionKind { .list(["1", "2", "4", "max"]) }

    /// As it is written on the command line (`1`, `max`), for the help's defaults.
    public var defaultValueDescription: String {
        switch self {
        case .asFastAsConsumed: return "max"
        case let .paced(factor): return factor == factor.rounded() ? String(Int(factor)) : String(factor)
        }
    }
}

/// How long a stream runs and how much audio waits between source and consumer: `record`,
/// `replay` and `live`. Values that may look like options (`--duration -5`) are read as
/// values, so that they get a clear range error.
struct StreamOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Replay or capture at most this many seconds.") var duration: Double?
    @Option(help: "Ring buffer between capture and processing, in seconds.") var ringSeconds: Double = 10

    func validate() throws {
        if let duration, !(duration.isFinite && duration > 0) { throw ValidationError("--duration must be more than 0 seconds (got \(duration)).") }
        if !(0.5...600).contains(ringSeconds) { throw ValidationError("--ring-seconds must be between 0.5 and 600.") }
    }
}

/// How a recording is replayed as a stream: `replay`, and `record --file`.
struct ReplayOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Replay speed: 1 = real time, 4 = four times faster (0.001–1000), max = as fast as it is consumed.")
    var speed: ReplaySpeed = .paced(factor: 1)
    @Option(parsing: .unconditional, help: "Start the replay this many seconds into the recording.") var offset: Double = 0

    func validate() throws {
        if !offset.isFinite || offset < 0 { throw ValidationError("--offset must be 0 or more seconds (got \(offset)).") }
    }

    /// A recording replayed with these options (not started).
    func recording(_ path: String, stream: StreamOptions) throws -> RecordingSource {
        guard FileManager.default.fileExists(atPath: path) else { throw AudioFileError.missing(path: path) }
        return try RecordingSource(path: path, speed: speed, offsetSeconds: offset, durationSeconds: stream.duration)
    }
}

/// Which ALSA device is captured, and how: `live`, and `record` without `--file`.
struct CaptureOptions: ParsableArguments {
    @Option(help: "ALSA capture device (default, hw:X,Y, plughw:X,Y or a PCM from the ALSA configuration).")
    var device: String?
    @Option(help: "Capture period in milliseconds.") var periodMs: Double = 20
    @Option(help: "ALSA buffer in milliseconds.") var bufferMs: Double = 160
    @Option(help: "Capture rate to ask the device for, in Hz (converted to 16 kHz).") var rate: Int = FrameGeometry.sampleRate
    @Option(help: "File with extra ALSA configuration defining PCMs.") var alsaConfig: String?

    func validate() throws {
        if !(1...1000).contains(periodMs) || !(2...10_000).contains(bufferMs) || bufferMs < 2 * periodMs {
            throw ValidationError("--period-ms must be 1–1000 and --buffer-ms at least twice it (2–10000).")
        }
        if !(4_000...384_000).contains(rate) { throw ValidationError("--rate must be between 4000 and 384000 Hz.") }
        if let alsaConfig, !FileManager.default.fileExists(atPath: alsaConfig) {
            throw ValidationError("--alsa-config \(alsaConfig): no such file.")
        }
    }

    /// A capture from `device` (or the default) with these options (not started).
    func capture(stream: StreamOptions) throws -> AlsaCaptureSource {
        var settings = AlsaCaptureSettings(device: device ?? "default")
        settings.sampleRate = rate
        settings.periodFrames = max(16, Int(periodMs / 1000 * Double(rate)))
        settings.bufferFrames = max(2 * settings.periodFrames, Int(bufferMs / 1000 * Double(rate)))
        if let alsaConfig {
            guard let text = try? String(contentsOfFile: alsaConfig, encoding: .utf8) else {
                throw ValidationError("--alsa-config \(alsaConfig): cannot be read as a text file of ALSA configuration (pcm.NAME { … }).")
            }
            settings.configurationText = text
        }
        let capture = AlsaCaptureSource(settings: settings)
        if let duration = stream.duration { capture.frameLimit = Int(duration * Double(rate)) }
        return capture
    }
}
