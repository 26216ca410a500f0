import Foundation
import Testing
@testable import ProscoreAudio

/// Captures `frames` frames through the real libasound from a `file` PCM whose input is a
/// raw file the test wrote, and returns what came out of the ring buffer.
func captureThroughFilePCM(raw: Data, format: AlsaSampleFormat, rate: Int, channels: Int,
                           frames: Int) throws -> (samples: [Float], source: AlsaCaptureSource) {
    let rawPath = temporaryPath("input.raw")
    _ = FileManager.default.createFile(atPath: rawPath, contents: raw)
    var settings = AlsaCaptureSettings(device: "proscore_test_capture")
    settings.formats = [format]
    settings.channels = channels
    settings.sampleRate = rate
    settings.periodFrames = 256
    settings.bufferFrames = 1_024
    settings.configurationText = """
        pcm.proscore_test_capture {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "\(rawPath)"
            format "raw"
        }
        """
    let source = AlsaCaptureSource(settings: settings)
    source.frameLimit = frames
    let ring = AudioRingBuffer(seconds: 10)
    try source.start(into: ring)
    source.waitUntilFinished()
    var out = [Float](repeating: 0, count: ring.available)
    let n = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
    return (Array(out[0..<n]), source)
}

func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }

@Suite("ALSA capture through libasound's file PCM", .serialized)
struct AlsaCaptureTests {
    let frames = 4_000

    @Test("S16_LE samples come out as they went in, scaled to [-1, 1]")
    func s16() throws {
        let values = (0..<frames).map { Int16(truncatingIfNeeded: ($0 * 7919) % 65_536 - 32_768) }
        let (samples, source) = try captureThroughFilePCM(raw: bytes(values), format: .s16, rate: 16_000, channels: 1, frames: frames)
        #expect(source.streamFormat == AlsaStreamFormat(format: .s16, channels: 1, sampleRate: 16_000, periodFrames: 256, bufferFrames: 1_024))
        #expect(samples == values.map { Float($0) / 32_768 })
        #expect(source.statistics.deliveredSamples == frames)
        #expect(source.statistics.overruns == 0 && source.statistics.endReason == nil)
    }

    @Test("a device that delivers audio faster than the clock is named as not capturing in real time; one at real time is not")
    func pace() throws {
        let values = [Int16](repeating: 100, count: 48_000)  // 3 s, read at once through the null PCM
        let (_, source) = try captureThroughFilePCM(raw: bytes(values), format: .s16, rate: 16_000, channels: 1, frames: values.count)
        let warning = try #require(source.statistics.warning)
        #expect(warning.hasPrefix("proscore_test_capture delivered 3.0 s of audio in") && warning.contains("does not capture in real time"), "\(warning)")
        #expect(AlsaCaptureSource.paceWarning(device: "hw:1,0", audioSeconds: 600, wallSeconds: 599.7) == nil)
        #expect(AlsaCaptureSource.paceWarning(device: "hw:1,0", audioSeconds: 0.9, wallSeconds: 0.01) == nil)
        #expect(AlsaCaptureSource.paceWarning(device: "null", audioSeconds: 298.8, wallSeconds: 6)?.hasPrefix("null delivered 298.8 s of audio in 6.0 s") == true)
    }

    @Test("S32_LE samples come out as they went in")
    func s32() throws {
        let values = (0..<frames).map { Int32(truncatingIfNeeded: $0 &* 1_234_567_891) }
        let (samples, _) = try captureThroughFilePCM(raw: bytes(values), format: .s32, rate: 16_000, channels: 1, frames: frames)
        #expect(samples == values.map { Float($0) / 2_147_483_648 })
    }

    @Test("FLOAT_LE samples come out bit for bit")
    func float() throws {
        let values = sine(300, rate: 16_000, seconds: Double(frames) / 16_000)
        let (samples, _) = try captureThroughFilePCM(raw: bytes(values), format: .float, rate: 16_000, channels: 1, frames: frames)
        #expect(samples == values)
    }

    @Test("48 kHz stereo is mixed down and converted to 16 kHz like a recording would be")
    func stereo48k() throws {
        let n = 48_000
        let left = sine(500, rate: 48_000, seconds: 1, amplitude: 0.6)
        var interleaved = [Int16](repeating: 0, count: 2 * n)
        var mono = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let l = Int16(left[i] * 32_767), r = Int16(left[i] * 0.5 * 32_767)
            interleaved[2 * i] = l
            interleaved[2 * i + 1] = r
            mono[i] = (Float(l) + Float(r)) / 2 / 32_768
        }
        let (samples, source) = try captureThroughFilePCM(raw: bytes(interleaved), format: .s16, rate: 48_000, channels: 2, frames: n)
        #expect(source.streamFormat?.channels == 2 && source.streamFormat?.sampleRate == 48_000)
        let expected = try Resampler(inputRate: 48_000).convert(mono)
        #expect(samples.count == expected.count)
        #expect(zip(samples, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(abs(toneAmplitude(samples[2_000..<14_000], frequency: 500, sampleRate: 16_000) - 0.45) < 0.01)
    }

    @Test("a device that does not exist is a clear error")
    func missingDevice() {
        let source = AlsaCaptureSource(settings: AlsaCaptureSettings(device: "proscore_no_such_device"))
        #expect {
            try source.start(into: AudioRingBuffer(seconds: 1))
        } throws: { error in
            guard case let .cannotOpen(device, _, _) = error as? AlsaError else { return false }
            return device == "proscore_no_such_device" && "\(error)".contains("proscore devices")
        }
    }

    @Test("a device that refuses every format we read says which formats it offers")
    func refusesFormats() {
        var settings = AlsaCaptureSettings(device: "proscore_mulaw_only")
        settings.configurationText = """
            pcm.proscore_mulaw_only {
                type mulaw
                slave { pcm { type null } format S16_LE }
            }
            """
        #expect {
            try AlsaCaptureSource(settings: settings).start(into: AudioRingBuffer(seconds: 1))
        } throws: { error in
            guard case let .noSupportedFormat(_, offered) = error as? AlsaError else { return false }
            return offered == ["MU_LAW"]
        }
    }

    @Test("unparsable ALSA configuration is a clear error")
    func badConfiguration() {
        var settings = AlsaCaptureSettings(device: "x")
        settings.configurationText = "pcm.x { type file slave.pcm { "
        #expect(throws: AlsaError.self) { try AlsaCaptureSource(settings: settings).start(into: AudioRingBuffer(seconds: 1)) }
    }

    @Test("the device list includes the null PCM, as arecord -L does")
    func devices() {
        #expect(AlsaCaptureSource.devices().contains { $0.name == "null" })
    }
}
