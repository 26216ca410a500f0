import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("session reports", .serialized)
struct ReportCommandTests {
    @Test("report writes one self-contained HTML file with the plots, transcript and settings")
    func report() throws {
        let store = scratch("report.sqlite")
        // Speech-like bursts with digital silence between them: pauses to mark.
        let path = scratch("bursts.wav")
        let samples = (0..<48_000).map { i -> Float in (i / 8_000) % 2 == 0 ? Float(0.3 * sin(Double(i) * 0.05)) : 0 }
        try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        #expect(try proscore(["replay", path, "--model", fixtureModel, "--speed", "max", "--store", store]).status == 0)
        let out = scratch("report.html")
        let r = try proscore(["report", "1", "--out", out, "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>"))
        // Two fluency charts, loudness, transcript; and the proficiency chart when the head scored a window.
        #expect(html.components(separatedBy: "<svg").count - 1 == (html.contains("Scores over time") ? 5 : 4))
        #expect(html.contains("Proficiency (0–10"))
        #expect(html.contains("2 silent pauses shaded"))
        #expect(html.contains("streaming.chunk_ms") && html.contains(fixtureModel))
        #expect(!html.contains("http://") || html.components(separatedBy: "http://").allSatisfy { $0.hasPrefix("www.w3.org") || !$0.contains("src=") })
        #expect(!html.contains("<script") && !html.contains("<link"))
    }
}
