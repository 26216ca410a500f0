import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("proscore tune", .serialized)
struct TuneCommandTests {
    @Test("tune sweeps settings, prints latency, speed and fidelity, and writes the chosen preset")
    func tune() throws {
        let audio = try makeRecording()
        let preset = scratch("tuned.json")
        let r = try proscore(["tune", audio, "--model", fixtureModel, "--chunk-ms", "200,400", "--left-ms", "400",
                              "--lookahead-ms", "0,100", "--reuse", "both", "--write", preset, "--name", "test"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 8)
        #expect(r.stdout.contains("chunk 200 ms, left 400 ms, lookahead 100 ms, reuse"))
        let written = try StreamingPreset.load(path: preset)
        #expect(written.name == "test")
        let measured = try #require(written.measured)
        #expect(measured.layerMeanCosine.count == 4)
        #expect(measured.transcriptAgreement != nil)
        #expect(measured.realTimeFactor > 0 && measured.emitLatencyMsP95 >= 0)
        // The best fidelity was chosen.
        #expect(measured.layerMeanCosine.last! > 0.5)
        // It scores with the tuned model; no heads are fitted for it, which is said.
        #expect(written.pipeline?.model == Installation.portable(fixtureModel) && written.pipeline?.head == nil, "\(String(describing: written.pipeline))")
        #expect(r.stderr.contains("note: no heads are fitted for"), "\(r.stderr)")
    }

    @Test("a preset tuned for the default model keeps that model and the default heads, and says on which windows they were fitted")
    func tunedDefaultModel() throws {
        let preset = scratch("tuned.json")
        let r = try proscore(["tune", try makeRecording(), "--model", "models/proscore-distilled-r2-ctc", "--chunk-ms", "320", "--left-ms", "640",
                              "--lookahead-ms", "160", "--reuse", "on", "--write", preset])
        #expect(r.status == 0, "\(r.stderr)")
        let balanced = try #require(try StreamingPreset.load(path: Installation.preset("balanced")).pipeline)
        let written = try #require(try StreamingPreset.load(path: preset).pipeline)
        #expect(written.model == "models/proscore-distilled-r2-ctc" && written.head == balanced.head && written.readAloudHead == balanced.readAloudHead)
        #expect(r.stderr.contains("heads, fitted on its windows (chunk 640 ms"), "\(r.stderr)")
        let replay = try proscore(["replay", try makeRecording(), "--speed", "max", "--no-store", "--preset", preset])
        #expect(replay.status == 0 && !replay.stderr.contains("notice:"), "\(replay.stderr)")
    }

    @Test("the shipped presets load and describe valid windows", arguments: ["low-latency", "balanced", "accurate", "balanced-int8"])
    func shippedPresets(_ name: String) throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let preset = try StreamingPreset.load(path: url.appendingPathComponent("configs/\(name).json").path)
        #expect(preset.name == name)
        #expect(preset.settings.problem == nil)
    }

    @Test("settings that are not whole 20 ms frames are refused with the value they would run as")
    func wholeFrames() throws {
        let r = try proscore(["tune", try makeRecording(), "--model", fixtureModel, "--chunk-ms", "200,50"])
        #expect(r.status != 0 && r.stderr.contains("--chunk-ms 50") && r.stderr.contains("would run as 60 ms"), "\(r.stderr)")
    }

    @Test("a broken preset file is a clear error naming it")
    func brokenPreset() throws {
        let path = scratch("bad.json")
        try #"{"name": "x", "streaming": {"chunk_ms": 0}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PresetError.self) { _ = try StreamingPreset.load(path: path) }
        let r = try proscore(["bench", "streaming", "--preset", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(path))
        // Pipeline values out of the command line's ranges: a window of 0 s left every session unscored, saying "too short".
        var balanced = try String(contentsOfFile: checkout + "/configs/balanced.json", encoding: .utf8)
        balanced = balanced.replacingOccurrences(of: #""window_s": 30"#, with: #""window_s": 0"#)
        let zeroWindow = scratch("zero-window.json")
        try balanced.write(toFile: zeroWindow, atomically: true, encoding: .utf8)
        let replay = try proscore(["replay", try makeRecording(), "--preset", zeroWindow, "--speed", "max", "--no-store"])
        #expect(replay.status != 0 && replay.stderr.contains("pipeline.window_s 0.0 must be 5–600"), "\(replay.stderr)")
        let nothing = try proscore(["bench", "streaming", "--seconds", "0"])
        #expect(nothing.status != 0 && nothing.stderr.contains("--seconds must be between 1 and 600"), "\(nothing.stderr)")
        let noRuns = try proscore(["bench", "streaming", "--repeats", "0"])
        #expect(noRuns.status != 0 && noRuns.stderr.contains("--repeats must be at least 1"), "\(noRuns.stderr)")
    }
}
