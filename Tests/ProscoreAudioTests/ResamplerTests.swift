import Foundation
import Testing
@testable import ProscoreAudio

/// Amplitude of the `frequency` component of `x` (a single-bin DFT), for a sinusoid of
/// amplitude A this is A.
func toneAmplitude(_ x: ArraySlice<Float>, frequency: Double, sampleRate: Int) -> Double {
    var re = 0.0, im = 0.0
    for (i, v) in x.enumerated() {
        let phase = 2 * Double.pi * frequency * Double(i) / Double(sampleRate)
        re += Double(v) * cos(phase)
        im -= Double(v) * sin(phase)
    }
    return 2 * (re * re + im * im).squareRoot() / Double(x.count)
}

func sine(_ frequency: Double, rate: Int, seconds: Double, amplitude: Float = 0.5) -> [Float] {
    (0..<Int(seconds * Double(rate))).map { amplitude * Float(sin(2 * .pi * frequency * Double($0) / Double(rate))) }
}

@Suite("band-limited resampling through libsoxr")
struct ResamplerTests {
    @Test("a 1 kHz sine at 44.1 and 48 kHz keeps its frequency and level at 16 kHz", arguments: [44_100, 48_000, 22_050, 8_000])
    func keepsTone(rate: Int) throws {
        let out = try Resampler(inputRate: rate).convert(sine(1_000, rate: rate, seconds: 1))
        #expect(abs(out.count - 16_000) <= 2)
        let middle = out[2_000..<14_000]
        #expect(abs(toneAmplitude(middle, frequency: 1_000, sampleRate: 16_000) - 0.5) < 0.005)
        #expect(abs(toneFrequency(Array(middle), sampleRate: 16_000) - 1_000) < 1)
    }

    @Test("tones above the new Nyquist frequency are removed: aliasing below -60 dB", arguments: [44_100, 48_000])
    func noAliasing(rate: Int) throws {
        // 10 kHz and 12.5 kHz would alias to 6 kHz and 3.5 kHz at 16 kHz.
        for f in [10_000.0, 12_500.0] {
            let out = try Resampler(inputRate: rate).convert(sine(f, rate: rate, seconds: 1))
            let level = rms(out[2_000..<14_000]) / (0.5 / Float(2).squareRoot())
            #expect(20 * log10(Double(level) + 1e-12) < -60, "\(f) Hz at \(rate) Hz leaks \(20 * log10(Double(level))) dB")
        }
    }

    @Test("feeding in pieces of any size gives the same output as one piece")
    func chunking() throws {
        let input = sine(440, rate: 44_100, seconds: 0.5)
        let whole = try Resampler(inputRate: 44_100).convert(input)
        let streamed = try Resampler(inputRate: 44_100, maximumInputFrames: 97)
        var pieces: [Float] = []
        var offset = 0, size = 1
        while offset < input.count {
            let n = min(size, input.count - offset)
            input.withUnsafeBufferPointer { b in
                streamed.process(UnsafeBufferPointer(rebasing: b[offset..<(offset + n)]), flush: offset + n == input.count) {
                    pieces.append(contentsOf: $0)
                }
            }
            offset += n
            size = size % 500 + 37
        }
        #expect(pieces.count == whole.count)
        #expect(zip(pieces, whole).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("16 kHz passes through untouched; absurd rates are refused")
    func rates() throws {
        let x: [Float] = [0.1, -0.2, 0.3]
        #expect(try Resampler(inputRate: 16_000).convert(x) == x)
        #expect(throws: ResamplerError.unsupportedRate(1)) { _ = try Resampler(inputRate: 1) }
    }
}
