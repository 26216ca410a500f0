import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("proscore replay and live", .serialized)
struct SessionCommandTests {
    func events(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test("replay runs the whole pipeline: an estimate per chunk, final words, no dropped audio")
    func replay() throws {
        let audio = try makeRecording()
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let r = try proscore(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json",
                              "--preset", root.appendingPathComponent("configs/low-latency.json").path])
        #expect(r.status == 0, "\(r.stderr)")
        let e = events(r.stdout)
        let estimates = e.compactMap { $0["estimate"] as? [String: Any] }
        #expect(estimates.count >= 4)  // 1.5 s of audio in 320 ms chunks
        let times = estimates.map { $0["audio_s"] as! Double }
        #expect(times == times.sorted())
        #expect(estimates.allSatisfy { $0["dropped_samples"] as? Int == 0 })
        let session = try #require(estimates.last?["session"] as? [String: Any])
        #expect(abs(session["end_s"] as! Double - 1.5) < 0.05)
        #expect(e.contains { $0["words"] != nil })
        let confidence = estimates.compactMap { $0["window_confidence"] as? Double }
        #expect(!confidence.isEmpty && confidence.allSatisfy { (0...1).contains($0) })
    }

    @Test("live scores audio from an ALSA PCM and stops after --duration")
    func live() throws {
        let raw = scratch("voice.raw")
        let samples = (0..<32_000).map { i -> Int16 in Int16(8_000 * sin(Double(i) * 0.07) * (i % 8_000 < 4_000 ? 1 : 0)) }
        _ = FileManager.default.createFile(atPath: raw, contents: samples.withUnsafeBytes { Data($0) })
        let config = scratch("alsa.conf")
        try """
            pcm.proscore_live_test { type file slave.pcm { type null } file "/dev/null" infile "\(raw)" format "raw" }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let r = try proscore(["live", "--device", "proscore_live_test", "--alsa-config", config, "--duration", "1.5",
                              "--model", fixtureModel, "--json", "--preset", root.appendingPathComponent("configs/low-latency.json").path])
        #expect(r.status == 0, "\(r.stderr)")
        let last = try #require(events(r.stdout).compactMap { $0["estimate"] as? [String: Any] }.last)
        #expect(abs(last["audio_s"] as! Double - 1.5) < 0.05)
    }

    @Test("a missing model is a clear error that says what to pass")
    func missingModel() throws {
        let r = try proscore(["replay", try makeRecording(), "--model", "/nonexistent/model"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no such model directory"))
    }
}
