import Foundation
import Testing
@testable import ProscoreAudio

/// Replays `source` to the end and returns everything it delivered.
func drain(_ source: RecordingSource, ringSeconds: Double = 10) throws -> [Float] {
    let ring = AudioRingBuffer(seconds: ringSeconds)
    try source.start(into: ring)
    var all: [Float] = []
    var buffer = [Float](repeating: 0, count: 700)
    while !ring.isFinished {
        ring.waitForData(timeoutSeconds: 0.05)
        let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        all.append(contentsOf: buffer[0..<n])
    }
    #expect(ring.droppedSamples == 0)
    return all
}

func writeTone(rate: Int, channels: Int, seconds: Double, format: SoundFileWriter.Format = .wav16) throws -> String {
    let path = temporaryPath("tone.\(format == .flac ? "flac" : "wav")")
    let mono = sine(660, rate: rate, seconds: seconds)
    var interleaved = [Float](repeating: 0, count: mono.count * channels)
    for i in mono.indices { interleaved[i * channels] = mono[i] }  // signal on the first channel only
    try SoundFileWriter.write(interleaved, channels: channels, sampleRate: rate, format: format, to: path)
    return path
}

@Suite("replaying recordings as a stream")
struct RecordingSourceTests {
    @Test("an MP3 that decodes to less than libsndfile's estimate of its length is not called truncated")
    func mp3BelowItsEstimate() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/anna-2s-sox.mp3").path
        let file = try SoundFile(path: path)
        #expect(file.isMPEG)
        let source = try RecordingSource(path: path, speed: .asFastAsConsumed)
        let samples = try drain(source)
        #expect(samples.count < file.frames, "the premise: the estimate is longer than the audio")
        #expect(abs(Double(samples.count) / 16_000 - 2.09) < 0.05)
        #expect(source.statistics.warning == nil, "\(source.statistics.warning ?? "")")
    }

    @Test("replay at full speed delivers exactly what loading the file gives, through a small ring")
    func matchesLoading() throws {
        let path = try writeTone(rate: 44_100, channels: 2, seconds: 2, format: .flac)
        let streamed = try drain(RecordingSource(path: path, speed: .asFastAsConsumed), ringSeconds: 0.1)
        let loaded = try AudioLoading.load16kMono(path: path)
        #expect(streamed.count == loaded.count)
        #expect(zip(streamed, loaded).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("offset and duration select the part replayed")
    func offsetAndDuration() throws {
        let path = try writeTone(rate: 16_000, channels: 1, seconds: 2)
        let part = try drain(RecordingSource(path: path, speed: .asFastAsConsumed, offsetSeconds: 0.5, durationSeconds: 0.25))
        let whole = try AudioLoading.load16kMono(path: path)
        #expect(part == Array(whole[8_000..<12_000]))
        #expect(throws: AudioFileError.self) { _ = try RecordingSource(path: path, offsetSeconds: 5) }
    }

    @Test("replay at 4× real time takes about a quarter of the audio's duration")
    func paced() throws {
        let path = try writeTone(rate: 16_000, channels: 1, seconds: 1)
        let start = Date()
        let samples = try drain(RecordingSource(path: path, speed: .paced(factor: 4)))
        let wall = Date().timeIntervalSince(start)
        #expect(samples.count == 16_000)
        #expect(wall > 0.2 && wall < 0.6, "took \(wall) s")
    }

    @Test("eight channels are mixed down to one")
    func eightChannels() throws {
        let path = try writeTone(rate: 16_000, channels: 8, seconds: 0.5)
        let samples = try drain(RecordingSource(path: path, speed: .asFastAsConsumed))
        #expect(samples.count == 8_000)
        #expect(abs(toneAmplitude(samples[1_000..<7_000], frequency: 660, sampleRate: 16_000) - 0.5 / 8) < 0.002)
    }

    @Test("a 1 Hz recording is refused with its rate")
    func absurdRate() throws {
        // A hand-made WAV header: PCM16 mono at 1 Hz, two samples.
        var header = Data("RIFF".utf8)
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        le32(40); header += Data("WAVEfmt ".utf8); le32(16); le16(1); le16(1); le32(1); le32(2); le16(2); le16(16)
        header += Data("data".utf8); le32(4); le16(100); le16(200)
        let path = temporaryPath("one-hertz.wav")
        _ = FileManager.default.createFile(atPath: path, contents: header)
        #expect(throws: AudioFileError.badRate(path: path, sampleRate: 1)) { _ = try RecordingSource(path: path) }
    }

    @Test("captured audio written to FLAC reads back")
    func sink() throws {
        let path = temporaryPath("capture.flac")
        let sink = try AudioFileSink(path: path)
        let tone = sine(440, rate: 16_000, seconds: 0.5)
        try tone.withUnsafeBufferPointer { try sink.append($0) }
        try tone.withUnsafeBufferPointer { try sink.append($0) }
        #expect(!FileManager.default.fileExists(atPath: path))  // still the partial file
        try sink.finish()
        #expect(!FileManager.default.fileExists(atPath: sink.partialPath))
        let back = try AudioLoading.load16kMono(path: path)
        #expect(back.count == 16_000)
        #expect(zip(back, tone + tone).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test("a sink never truncates an existing file unless asked, and writes the container its name says")
    func sinkSafety() throws {
        let existing = temporaryPath("keep.flac")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: existing))
        #expect(throws: AudioFileError.self) { _ = try AudioFileSink(path: existing) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("precious".utf8))
        #expect(throws: AudioFileError.self) { _ = try AudioFileSink(path: temporaryPath("capture.mp3")) }
        let wav = temporaryPath("capture.wav")
        let sink = try AudioFileSink(path: wav)
        try sine(440, rate: 16_000, seconds: 0.1).withUnsafeBufferPointer { try sink.append($0) }
        try sink.finish()
        let header = try Data(contentsOf: URL(fileURLWithPath: wav)).prefix(4)
        #expect(String(decoding: header, as: UTF8.self) == "RIFF")
        let replaced = try AudioFileSink(path: existing, overwrite: true)
        try sine(440, rate: 16_000, seconds: 0.1).withUnsafeBufferPointer { try replaced.append($0) }
        try replaced.finish()
        #expect(try AudioLoading.load16kMono(path: existing).count == 1_600)
    }
}
