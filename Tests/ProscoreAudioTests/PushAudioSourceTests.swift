import Foundation
import Testing
@testable import ProscoreAudio

@Suite("push audio source (network clients)")
struct PushAudioSourceTests {
    /// Interleaved stereo 16-bit little-endian bytes of `frames` frames: left = value, right = -value/2.
    func stereoS16(_ values: [Int16]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let l = UInt16(bitPattern: v), r = UInt16(bitPattern: v / -2)
            return [UInt8(l & 0xff), UInt8(l >> 8), UInt8(r & 0xff), UInt8(r >> 8)]
        }
    }

    @Test("16-bit stereo at 16 kHz arrives downmixed, with samples split across pushes put back together")
    func downmixAcrossPushes() throws {
        let source = try PushAudioSource(name: "test", sampleRate: 16_000, channels: 2, encoding: .s16le)
        let ring = AudioRingBuffer(capacitySamples: 1_024)
        try source.start(into: ring)
        let bytes = stereoS16([16_384, -8_192, 0, 32_767])
        for cut in [3, 6, 16] {  // pieces of 3, 3 and 10 bytes: frames and samples straddle them
            let start = cut == 3 ? 0 : (cut == 6 ? 3 : 6)
            bytes[start..<cut].withUnsafeBytes { source.push($0) }
            #expect(source.drain())
        }
        source.end(reason: nil)
        var out = [Float](repeating: 0, count: 8)
        let n = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        #expect(n == 4)
        // (v + (-v/2)) / 2 / 32768 = v / 4 / 32768
        #expect(abs(out[0] - 0.125) < 1e-4)
        #expect(abs(out[1] + 0.0625) < 1e-4)
        #expect(out[2] == 0)
        #expect(ring.isFinished)
    }

    @Test("float audio at 48 kHz is resampled to 16 kHz, the tail flushed")
    func resamplesFloat() throws {
        let source = try PushAudioSource(name: "test", sampleRate: 48_000, channels: 1, encoding: .f32le)
        let ring = AudioRingBuffer(capacitySamples: 1 << 16)
        try source.start(into: ring)
        let tone = (0..<48_000).map { Float(0.5 * sin(2 * .pi * 440 * Double($0) / 48_000)) }
        tone.withUnsafeBytes { source.push($0) }
        #expect(source.drain())
        source.flush()
        #expect(source.drain())
        source.end(reason: nil)
        #expect(abs(ring.available - 16_000) <= 2)
        #expect(source.statistics.deliveredSamples == ring.available)
    }

    @Test("a producer faster than the reader waits for room: nothing is dropped or buffered beyond one push")
    func throttles() throws {
        let source = try PushAudioSource(name: "test", sampleRate: 16_000, channels: 1, encoding: .f32le)
        let ring = AudioRingBuffer(capacitySamples: 1_024)
        try source.start(into: ring)
        let piece = [Float](repeating: 0.25, count: 1_500)
        piece.withUnsafeBytes { source.push($0) }
        #expect(!source.drain())  // 1 024 fit, 476 wait
        #expect(ring.available == 1_024)
        var out = [Float](repeating: 0, count: 600)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 600)
        #expect(source.drain())
        #expect(ring.available == 900)
        #expect(ring.droppedSamples == 0)
    }

    @Test("stop from the pipeline ends the stream and drops what waits; an early end is reported")
    func stopAndEarlyEnd() throws {
        let source = try PushAudioSource(name: "test", sampleRate: 16_000, channels: 1, encoding: .s16le)
        let ring = AudioRingBuffer(capacitySamples: 16)
        try source.start(into: ring)
        [UInt8](repeating: 1, count: 64).withUnsafeBytes { source.push($0) }
        #expect(!source.drain())
        source.end(reason: "the client disconnected")
        #expect(source.drain())
        #expect(source.statistics.endReason == "the client disconnected")
        var rest = [Float](repeating: 0, count: 16)
        _ = rest.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        #expect(ring.isFinished)
        #expect(throws: PushAudioError.unsupportedChannels(9)) {
            try PushAudioSource(name: "x", sampleRate: 16_000, channels: 9, encoding: .s16le)
        }
    }
}
