import Foundation
import Testing
@testable import ProscoreAudio

/// A PCM that plays a script: each read returns the next result (a frame count, filled with
/// a ramp, or a negative errno).
final class ScriptedPCM: CapturePCM, @unchecked Sendable {
    var script: [Int]
    var recoveries = 0
    var next: Int16 = 0

    init(_ script: [Int]) { self.script = script }

    func read(into buffer: UnsafeMutableRawPointer, frames: Int) -> Int {
        guard !script.isEmpty else { return -Int(ENODEV) }
        let result = script.removeFirst()
        if result > 0 {
            let p = buffer.assumingMemoryBound(to: Int16.self)
            for i in 0..<min(result, frames) { p[i] = next; next &+= 1 }
            return min(result, frames)
        }
        return result
    }

    func recover(_ code: Int) -> Int32 {
        recoveries += 1
        return 0
    }
}

@Suite("the capture loop's error handling")
struct CaptureLoopTests {
    let format = AlsaStreamFormat(format: .s16, channels: 1, sampleRate: 16_000, periodFrames: 100, bufferFrames: 400)

    func run(_ pcm: ScriptedPCM) throws -> (samples: [Float], source: AlsaCaptureSource) {
        let source = AlsaCaptureSource(settings: AlsaCaptureSettings(device: "scripted"))
        let ring = AudioRingBuffer(seconds: 1)
        try source.start(into: ring, pcm: pcm, format: format)
        source.waitUntilFinished()
        var out = [Float](repeating: 0, count: ring.available)
        let n = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        return (Array(out[0..<n]), source)
    }

    @Test("overruns (-EPIPE) are recovered with snd_pcm_recover, counted, and capture goes on")
    func overruns() throws {
        let pcm = ScriptedPCM([100, -Int(EPIPE), 100, -Int(EPIPE), 50, -Int(ENODEV)])
        let (samples, source) = try run(pcm)
        #expect(pcm.recoveries == 2)
        #expect(source.statistics.overruns == 2)
        #expect(samples.count == 250)
        #expect(samples == (0..<250).map { Float($0) / 32_768 })
    }

    @Test("losing the device (-ENODEV) ends capture cleanly and keeps what was captured")
    func deviceLost() throws {
        let (samples, source) = try run(ScriptedPCM([100, 100, -Int(ENODEV), 100]))
        #expect(samples.count == 200)
        #expect(source.statistics.endReason == "the device went away")
        #expect(source.statistics.deliveredSamples == 200)
    }

    @Test("an unrecoverable read error ends capture with its reason")
    func readError() throws {
        let (samples, source) = try run(ScriptedPCM([100, -Int(EIO)]))
        #expect(samples.count == 100)
        #expect(source.statistics.endReason?.contains("read failed") == true)
    }
}
