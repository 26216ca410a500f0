import Foundation
import Testing
@testable import ProscoreAudio

func temporaryPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "proscore-audio-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

/// Frequency of a pure tone from its zero crossings, in Hz.
func toneFrequency(_ x: [Float], sampleRate: Int) -> Double {
    var crossings = 0
    for i in 1..<x.count where (x[i - 1] < 0) != (x[i] < 0) { crossings += 1 }
    return Double(crossings) / 2 / (Double(x.count) / Double(sampleRate))
}

func rms(_ x: ArraySlice<Float>) -> Float { (x.reduce(0) { $0 + $1 * $1 } / Float(x.count)).squareRoot() }

@Suite("reading recordings through libsndfile")
struct AudioLoadingTests {
    @Test("a WAV cut short names the length its header promised; an intact one, or a streamed one without a length, does not")
    func promisedLength() throws {
        let path = temporaryPath("two-seconds.wav")
        try SoundFileWriter.write([Float](repeating: 0.1, count: 32_000), channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        #expect(try SoundFile(path: path).promisedFrames == nil)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = temporaryPath("cut.wav")
        try bytes.prefix(bytes.count - 40_000).write(to: URL(fileURLWithPath: cut))
        let short = try SoundFile(path: cut)
        #expect(short.frames < 12_500)
        #expect(short.promisedFrames == 32_000)
        // A WAV written to a pipe (arecord -t wav to stdout) carries a placeholder length.
        let data = try #require(bytes.firstRange(of: Data("data".utf8)))
        bytes.replaceSubrange(data.upperBound..<(data.upperBound + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
        let streamed = temporaryPath("streamed.wav")
        try bytes.write(to: URL(fileURLWithPath: streamed))
        #expect(try SoundFile(path: streamed).promisedFrames == nil)
    }

    @Test("a 44.1 kHz stereo WAV arrives as 16 kHz mono with the tone's frequency and level kept",
          arguments: [(44_100, SoundFileWriter.Format.wav16), (48_000, .flac), (16_000, .wavFloat)])
    func converts(rate: Int, format: SoundFileWriter.Format) throws {
        let path = temporaryPath("tone.audio")
        let seconds = 1.5, f = 440.0
        let n = Int(seconds * Double(rate))
        var stereo = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let v = Float(0.5 * sin(2 * .pi * f * Double(i) / Double(rate)))
            stereo[2 * i] = v
            stereo[2 * i + 1] = v
        }
        try SoundFileWriter.write(stereo, channels: 2, sampleRate: rate, format: format, to: path)
        let mono = try AudioLoading.load16kMono(path: path)
        #expect(abs(mono.count - Int(seconds * 16_000)) <= 1)
        #expect(abs(toneFrequency(mono, sampleRate: 16_000) - f) < 2)
        #expect(abs(rms(mono[1000..<20000]) - 0.5 / Float(2).squareRoot()) < 0.01)
    }

    @Test("channels are averaged")
    func downmix() {
        #expect(AudioLoading.downmix([1, 0, 0.5, -0.5], channels: 2) == [0.5, 0])
    }

    @Test("a missing file, garbage bytes and a zero-length file are clear errors")
    func badFiles() throws {
        #expect(throws: AudioFileError.missing(path: "/nonexistent/speech.wav")) {
            _ = try AudioLoading.load16kMono(path: "/nonexistent/speech.wav")
        }

        let garbage = temporaryPath("garbage.wav")
        _ = FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        #expect {
            _ = try AudioLoading.load16kMono(path: garbage)
        } throws: { error in
            guard case let .cannotOpen(path, _) = error as? AudioFileError else { return false }
            return path == garbage
        }

        let zero = temporaryPath("zero.wav")
        _ = FileManager.default.createFile(atPath: zero, contents: Data())
        #expect(throws: AudioFileError.empty(path: zero)) { _ = try AudioLoading.load16kMono(path: zero) }
        let folder = temporaryPath("class")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(throws: AudioFileError.folder(path: folder)) { _ = try AudioLoading.load16kMono(path: folder) }
        #expect(AudioFileError.folder(path: folder).description.contains("a folder, not a recording"))
    }

    @Test("a valid WAV with no samples says it is empty")
    func emptyWav() throws {
        let path = temporaryPath("empty.wav")
        try SoundFileWriter.write([], channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        #expect(throws: AudioFileError.empty(path: path)) { _ = try AudioLoading.load16kMono(path: path) }
    }
}
