import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("presets drive the pipeline", .serialized)
struct PresetPipelineTests {
    @Test("a preset's pipeline section sets model and score settings; command-line options override it")
    func presetAndOverride() throws {
        let preset = scratch("mine.json")
        try """
            {"name": "mine", "description": "test",
             "streaming": {"chunk_ms": 320, "left_context_ms": 640, "lookahead_ms": 80, "reuse_left_context": true},
             "pipeline": {"model": "\(fixtureModel)", "head": "none", "window_s": 10, "pause_ms": 400, "endpoint_ms": 900}}
            """.write(toFile: preset, atomically: true, encoding: .utf8)
        let store = scratch("preset.sqlite")
        let audio = try makeRecording()
        #expect(try proscore(["replay", audio, "--preset", preset, "--speed", "max", "--store", store]).status == 0)
        #expect(try proscore(["replay", audio, "--preset", preset, "--speed", "max", "--store", store, "--pause-ms", "300"]).status == 0)
        let first = try proscore(["sessions", "export", "1", "--store", store])
        let second = try proscore(["sessions", "export", "2", "--store", store])
        func settings(_ r: CommandResult) throws -> SessionSettings {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let configuration = try JSONSerialization.data(withJSONObject: try #require(object["configuration"]))
            return try JSONDecoder().decode(SessionSettings.self, from: configuration)
        }
        let a = try settings(first), b = try settings(second)
        #expect(a.windowSeconds == 10 && a.pauseMs == 400 && a.endpointMs == 900 && a.head == nil)
        #expect(a.streaming == .init(chunkMs: 320, leftContextMs: 640, lookaheadMs: 80, reuseLeftContext: true))
        #expect(b.pauseMs == 300 && b.windowSeconds == 10)
        #expect(first.stdout.contains(fixtureModel))
    }

    @Test("a preset whose heads do not fit its model falls back to the encoder-independent heads with a notice")
    func mismatchedPresetHeads() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let preset = scratch("replaced.json")
        try """
            {"name": "replaced", "description": "the model was replaced, the heads were not",
             "streaming": {"chunk_ms": 640, "left_context_ms": 1280, "lookahead_ms": 160, "reuse_left_context": true},
             "pipeline": {"model": "\(fixtureModel)", "head": "configs/heads/proscore-small-ctc.json",
                          "read_aloud_head": "configs/heads/proscore-small-ctc-read-aloud.json"}}
            """.write(toFile: preset, atomically: true, encoding: .utf8)
        let store = scratch("fallback.sqlite")
        let (process, out) = try launch(["replay", try makeRecording(), "--preset", preset, "--speed", "max", "--store", store, "--json",
                                         "--reference", "hello"], in: root)
        let stdout = String(decoding: readAll(out), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(stdout.contains("\"summary\""))
        // The stored configuration names the heads that scored, not the preset's.
        let stored = try storedSettings(store: store, id: 1)
        #expect(stored.head == "configs/heads/fluency.json")
        #expect(stored.readAloudHead == "configs/heads/fluency-read-aloud.json")
        let explicit = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--head",
                                     root.appendingPathComponent("configs/heads/proscore-small-ctc.json").path, "--no-store"])
        #expect(explicit.status != 0 && explicit.stderr.contains("belongs to another encoder"))
    }

    @Test("with --model alone, read-aloud sessions are scored by the encoder-independent read-aloud head")
    func readAloudHeadWithAnotherModel() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let store = scratch("model-only.sqlite")
        let (process, out) = try launch(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store,
                                         "--reference", "hello", "--json"], in: root)
        _ = readAll(out)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let stored = try storedSettings(store: store, id: 1)
        #expect(stored.model == fixtureModel)
        #expect(stored.head == "configs/heads/fluency.json")
        #expect(stored.readAloudHead == "configs/heads/fluency-read-aloud.json")
    }

    /// The configuration a session was stored with, as `sessions export` gives it.
    @Test("each committed preset scores a real recording with its own model and heads, read aloud and free",
          arguments: ["balanced", "accurate", "low-latency", "balanced-int8"])
    func committedPresets(name: String) throws {
        let preset = try StreamingPreset.load(path: checkout + "/configs/\(name).json")
        let section = try #require(preset.pipeline)
        let store = scratch("\(name).sqlite")
        for reference in [nil, "Hello my name is Anna and every morning I walk to the park"] {
            let r = try proscore(["replay", checkout + "/recordings/anna-morning.flac", "--preset", "configs/\(name).json", "--speed", "max",
                                  "--store", store, "--text-model", "none"] + (reference.map { ["--reference", $0] } ?? []), in: checkout)
            #expect(r.status == 0 && r.stdout.contains("scores (0–10"), "\(r.stdout)\(r.stderr)")
            #expect(!r.stderr.contains("notice:"), "\(r.stderr)")
        }
        let stored = try storedSettings(store: store, id: 2)
        let (model, head, readAloudHead) = (try #require(section.model), try #require(section.head), try #require(section.readAloudHead))
        #expect(stored.model.hasSuffix(model) && stored.head?.hasSuffix(head) == true && stored.readAloudHead?.hasSuffix(readAloudHead) == true,
                "\(stored)")
    }

    @Test("a preset's heads asked to run in another precision say that they were fitted in the preset's")
    func headsInAnotherPrecision() throws {
        let audio = checkout + "/recordings/park-hesitant.flac"
        let int8 = try proscore(["replay", audio, "--speed", "max", "--no-store", "--text-model", "none", "--precision", "int8"], in: checkout)
        #expect(int8.status == 0, "\(int8.stderr)")
        if Precision.int8.available.precision == .int8 {
            #expect(int8.stderr.contains("notice: the preset's heads were fitted on fp32 features; in int8"), "\(int8.stderr)")
        }
        let fp32 = try proscore(["replay", audio, "--speed", "max", "--no-store", "--text-model", "none", "--preset", "balanced-int8",
                                 "--precision", "fp32"], in: checkout)
        #expect(fp32.status == 0 && fp32.stderr.contains("heads were fitted on int8 features; in fp32"), "\(fp32.stderr)")
    }

    private func storedSettings(store: String, id: Int) throws -> SessionSettings {
        let exported = try proscore(["sessions", "export", String(id), "--store", store])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)) as? [String: Any])
        let configuration = try JSONSerialization.data(withJSONObject: try #require(object["configuration"]))
        return try JSONDecoder().decode(SessionSettings.self, from: configuration)
    }
}
