import CALSA
import Foundation

/// Errors from ALSA, with the device, the step, the C error code and `snd_strerror`.
public enum AlsaError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case cannotOpen(device: String, code: Int32, message: String)
    case badConfiguration(detail: String)
    case noSupportedFormat(device: String, offered: [String])
    case cannotConfigure(device: String, step: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case let .cannotOpen(device, code, message):
            return "ALSA device '\(device)' cannot be opened for capture: \(message) (\(code)). `proscore devices` lists the capture devices."
        case let .badConfiguration(detail):
            return "ALSA configuration: \(detail)"
        case let .noSupportedFormat(device, offered):
            return "ALSA device '\(device)' offers none of the sample formats Proscore reads (S16_LE, S32_LE, FLOAT_LE)\(offered.isEmpty ? "" : "; it offers \(offered.joined(separator: ", "))"). Try plughw:X,Y, which converts."
        case let .cannotConfigure(device, step, code, message):
            return "ALSA device '\(device)': \(step) failed: \(message) (\(code))."
        }
    }

    public var errorDescription: String? { description }
}

/// Sample formats Proscore reads from a device.
public enum AlsaSampleFormat: String, CaseIterable, Sendable {
    case s16 = "S16_LE", s32 = "S32_LE", float = "FLOAT_LE"

    var alsa: snd_pcm_format_t {
        switch self {
        case .s16: return SND_PCM_FORMAT_S16_LE
        case .s32: return SND_PCM_FORMAT_S32_LE
        case .float: return SND_PCM_FORMAT_FLOAT_LE
        }
    }

    var bytesPerSample: Int { self == .s16 ? 2 : 4 }
}

/// What the device agreed to.
public struct AlsaStreamFormat: Sendable, Equatable {
    public var format: AlsaSampleFormat
    public var channels: Int
    public var sampleRate: Int
    public var periodFrames: Int
    public var bufferFrames: Int
}

/// The two calls the capture loop makes on a PCM; tests script errors through a fake.
protocol CapturePCM: AnyObject, Sendable {
    /// Frames read, or a negative errno (`-EPIPE` overrun, `-ENODEV` device gone, …).
    func read(into buffer: UnsafeMutableRawPointer, frames: Int) -> Int
    /// Recovers after an overrun or suspend; negative if it cannot.
    func recover(_ code: Int) -> Int32
}

/// An ALSA capture PCM; owns the handle and closes it. Used by one thread at a time (it is
/// opened on the caller's and handed to the capture thread).
final class AlsaPCM: CapturePCM, @unchecked Sendable {
    let device: String
    private let handle: OpaquePointer

    /// Opens `device` for capture. `configurationText`, when given, is ALSA configuration
    /// (e.g. `pcm.mic { … }`) that defines PCMs on top of the system's.
    init(device: String, configurationText: String? = nil) throws {
        Self.quietLibraryMessages()
        self.device = device
        var pcm: OpaquePointer?
        let code: Int32
        if let configurationText {
            var config: OpaquePointer?, systemTop: OpaquePointer?
            var status = snd_config_update_ref(&systemTop)
            if status < 0 { throw AlsaError.badConfiguration(detail: String(cString: snd_strerror(status))) }
            status = snd_config_copy(&config, systemTop)
            snd_config_unref(systemTop)
            if status < 0 { throw AlsaError.badConfiguration(detail: String(cString: snd_strerror(status))) }
            defer { snd_config_delete(config) }
            var input: OpaquePointer?
            let bytes = Array(configurationText.utf8)
            status = bytes.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { snd_input_buffer_open(&input, $0.baseAddress, $0.count) }
            }
            if status < 0 { throw AlsaError.badConfiguration(detail: String(cString: snd_strerror(status))) }
            status = snd_config_load(config, input)
            snd_input_close(input)
            if status < 0 {
                throw AlsaError.badConfiguration(detail: "cannot parse the given configuration: \(String(cString: snd_strerror(status)))")
            }
            code = snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_CAPTURE, 0, config)
        } else {
            code = snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, 0)
        }
        guard code >= 0, let pcm else {
            throw AlsaError.cannotOpen(device: device, code: code, message: String(cString: snd_strerror(code)))
        }
        handle = pcm
    }

    deinit { snd_pcm_close(handle) }

    /// Negotiates interleaved access, the first of `formats` the device takes, channels and
    /// rate nearest the wishes, and period and buffer sizes; then prepares the stream.
    func configure(formats: [AlsaSampleFormat], channels: Int, sampleRate: Int,
                   periodFrames: Int, bufferFrames: Int) throws -> AlsaStreamFormat {
        var params: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&params) >= 0, let params else {
            throw AlsaError.cannotConfigure(device: device, step: "allocating hardware parameters", code: -ENOMEM, message: "out of memory")
        }
        defer { snd_pcm_hw_params_free(params) }
        try check(snd_pcm_hw_params_any(handle, params), "reading its capabilities")
        try check(snd_pcm_hw_params_set_access(handle, params, SND_PCM_ACCESS_RW_INTERLEAVED), "setting interleaved access")
        guard let format = formats.first(where: { snd_pcm_hw_params_test_format(handle, params, $0.alsa) == 0 }) else {
            throw AlsaError.noSupportedFormat(device: device, offered: offeredFormats(params))
        }
        try check(snd_pcm_hw_params_set_format(handle, params, format.alsa), "setting format \(format.rawValue)")
        var ch = UInt32(channels)
        try check(snd_pcm_hw_params_set_channels_near(handle, params, &ch), "setting \(channels) channel(s)")
        var rate = UInt32(sampleRate)
        var dir: Int32 = 0
        try check(snd_pcm_hw_params_set_rate_near(handle, params, &rate, &dir), "setting rate \(sampleRate) Hz")
        var period = snd_pcm_uframes_t(periodFrames)
        try check(snd_pcm_hw_params_set_period_size_near(handle, params, &period, &dir), "setting period \(periodFrames) frames")
        var buffer = snd_pcm_uframes_t(max(bufferFrames, 2 * Int(period)))
        try check(snd_pcm_hw_params_set_buffer_size_near(handle, params, &buffer), "setting buffer \(bufferFrames) frames")
        try check(snd_pcm_hw_params(handle, params), "installing the parameters")
        try check(snd_pcm_prepare(handle), "preparing the stream")
        return AlsaStreamFormat(format: format, channels: Int(ch), sampleRate: Int(rate),
                                periodFrames: Int(period), bufferFrames: Int(buffer))
    }

    private func offeredFormats(_ params: OpaquePointer) -> [String] {
        (0...Int(SND_PCM_FORMAT_LAST.rawValue)).compactMap { f in
            let format = snd_pcm_format_t(rawValue: Int32(f))
            guard snd_pcm_hw_params_test_format(handle, params, format) == 0, let name = snd_pcm_format_name(format) else { return nil }
            return String(cString: name)
        }
    }

    private func check(_ code: Int32, _ step: String) throws {
        if code < 0 {
            throw AlsaError.cannotConfigure(device: device, step: step, code: code, message: String(cString: snd_strerror(code)))
        }
    }

    /// `snd_pcm_readi`: frames read, or a negative error code.
    func read(into buffer: UnsafeMutableRawPointer, frames: Int) -> Int {
        snd_pcm_readi(handle, buffer, snd_pcm_uframes_t(frames))
    }

    /// `snd_pcm_recover` after an overrun or suspend; negative if it cannot be recovered.
    func recover(_ code: Int) -> Int32 {
        snd_pcm_recover(handle, Int32(code), 1)
    }

    /// libasound's own messages on stderr stay off (errors are reported with their codes and
    /// what to do), unless `PROSCORE_ALSA_DEBUG` is set for diagnosing a device's configuration.
    private static let quieted: Void = {
        if ProcessInfo.processInfo.environment["PROSCORE_ALSA_DEBUG"] == nil { proscore_alsa_quiet_errors() }
    }()

    static func quietLibraryMessages() { Self.quieted }

    /// Capture-capable PCMs from the ALSA configuration, as `arecord -L` lists them.
    static func captureDevices() -> [(name: String, description: String)] {
        quietLibraryMessages()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var devices: [(String, String)] = []
        var i = 0
        while let hint = hints[i] {
            i += 1
            func get(_ key: String) -> String? {
                guard let value = snd_device_name_get_hint(hint, key) else { return nil }
                defer { free(value) }
                return String(cString: value)
            }
            guard let name = get("NAME") else { continue }
            let io = get("IOID")
            if io == nil || io == "Input" {
                devices.append((name, get("DESC")?.replacingOccurrences(of: "\n", with: "\n    ") ?? ""))
            }
        }
        return devices
    }
}
