import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

/// Runs the built `proscore` executable.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

func proscore(_ arguments: [String]) throws -> CommandResult {
    let binary = Bundle.main.bundleURL.appendingPathComponent("proscore")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    // Sessions recorded by tests go to a scratch store, never the user's.
    var environment = ProcessInfo.processInfo.environment
    environment["PROSCORE_STORE"] = NSTemporaryDirectory() + "proscore-test-sessions.sqlite"
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}

/// Starts the built `proscore` in the background with stdout piped (for tests that
/// interrupt it or read it as it goes).
func launch(_ arguments: [String], in directory: URL? = nil) throws -> (process: Process, stdout: Pipe) {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("proscore")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = Pipe()
    try process.run()
    return (process, out)
}

/// Reads `pipe` until `text` has appeared `count` times (or the stream ends).
func readUntil(_ pipe: Pipe, contains text: String, count: Int = 1) -> Int {
    var buffer = Data()
    var seen = 0
    while seen < count {
        let data = pipe.fileHandleForReading.availableData
        if data.isEmpty { break }
        buffer += data
        seen = String(decoding: buffer, as: UTF8.self).components(separatedBy: text).count - 1
    }
    return seen
}

/// The tiny transformers-made checkpoint the model tests use.
let fixtureModel: String = {
    var url = URL(fileURLWithPath: #filePath)
    url.deleteLastPathComponent()
    url.deleteLastPathComponent()
    return url.appendingPathComponent("ProscoreModelsTests/Fixtures/encoders/wav2vec2-base-ctc").path
}()

func scratch(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "proscore-cli-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

/// A 22.05 kHz recording of a gliding tone, as a WAV file.
func makeRecording() throws -> String {
    let path = scratch("glide.wav")
    let samples = (0..<33_075).map { i -> Float in
        let t = Float(i) / 22_050
        return 0.4 * sin(2 * .pi * (180 + 120 * t) * t) * (0.5 + 0.5 * sin(2 * .pi * 3 * t))
    }
    try SoundFileWriter.write(samples, channels: 1, sampleRate: 22_050, format: .wav16, to: path)
    return path
}

@Suite("the proscore command", .serialized)
struct CommandTests {
    @Test("inspect describes the family, variant and size of a checkpoint")
    func inspect() throws {
        let r = try proscore(["inspect", fixtureModel])
        #expect(r.status == 0)
        #expect(r.stdout.contains("family       wav2vec2"))
        #expect(r.stdout.contains("conv norm: group"))
        #expect(r.stdout.contains("CTC head     32 tokens"))
        #expect(r.stdout.contains("outputs      4 hidden states"))
        #expect(r.stdout.contains("masked_spec_embed"))
    }

    @Test("encode writes the chosen hidden states, frame times and logits the library computes")
    func encode() throws {
        let audio = try makeRecording()
        let out = scratch("features.safetensors")
        let r = try proscore(["encode", fixtureModel, audio, "--layers", "0,3", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try SafeTensorsFile(path: out)
        let hidden = try file.tensor("hidden_states")
        let samples = try AudioLoading.load16kMono(path: audio)
        let expected = try AudioEncoderLoader.load(path: fixtureModel).encoder(samples)
        #expect(hidden.shape == [2, expected.frames, 32])
        #expect(hidden[0].maxAbsDifference(expected.hiddenStates[0]) < 1e-5)
        #expect(hidden[1].maxAbsDifference(expected.hiddenStates[3]) < 1e-5)
        #expect(try file.tensor("layer_indices").scalars == [0, 3])
        let starts = try file.tensor("frame_start_seconds").scalars
        #expect(starts.count == expected.frames && abs(starts[1] - 0.02) < 1e-6)
        #expect(abs(try file.tensor("frame_end_seconds").scalars[0] - 0.025) < 1e-6)
        #expect(try file.tensor("logits").shape == [expected.frames, 32])
        #expect(file.metadata["layers"] == "0,3")
    }

    @Test("encode --float16 halves the file and keeps values to half precision")
    func encodeHalf() throws {
        let audio = try makeRecording()
        let full = scratch("f32.safetensors"), half = scratch("f16.safetensors")
        #expect(try proscore(["encode", fixtureModel, audio, "--out", full]).status == 0)
        #expect(try proscore(["encode", fixtureModel, audio, "--out", half, "--float16"]).status == 0)
        let a = try SafeTensorsFile(path: full).tensor("hidden_states")
        let b = try SafeTensorsFile(path: half).tensor("hidden_states")
        #expect(a.shape == b.shape)
        #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 2e-3 * max(1, abs($0)) })
    }

    @Test("bad input is a clear error with a non-zero exit status", arguments: [
        (["encode", "/nonexistent/model", "x.wav"], "/nonexistent/model"),
        (["encode", fixtureModel, "/nonexistent/speech.wav"], "/nonexistent/speech.wav: no such file"),
        (["encode", fixtureModel, fixtureModel + "/config.json"], "cannot open as audio"),
        (["inspect", "/nonexistent/model"], "no such file"),
        (["encode", fixtureModel, "x.wav", "--layers", "zero"], "--layers"),
        (["encode", fixtureModel, "x.wav", "--threads", "0"], "--threads"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let r = try proscore(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr was: \(r.stderr)")
    }

    @Test("asking for a layer the model lacks names the valid range")
    func missingLayer() throws {
        let r = try proscore(["encode", fixtureModel, try makeRecording(), "--layers", "9", "--out", scratch("x.safetensors")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("0…3"))
    }

    @Test("audio shorter than one frame is refused with the minimum length")
    func tooShort() throws {
        let path = scratch("short.wav")
        try SoundFileWriter.write([Float](repeating: 0.1, count: 300), channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        let r = try proscore(["encode", fixtureModel, path, "--out", scratch("x.safetensors")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("at least 400"))
    }
}

@Suite("proscore record and devices", .serialized)
struct RecordCommandTests {
    @Test("record --file replays a recording through the ring buffer into a 16 kHz FLAC")
    func recordReplay() throws {
        let audio = try makeRecording()
        let out = scratch("replayed.flac")
        let r = try proscore(["record", "--file", audio, "--speed", "max", "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["dropped_samples"] as? Int == 0)
        #expect(summary["end_reason"] as? String == "finished")
        let expected = try AudioLoading.load16kMono(path: audio)
        let saved = try AudioLoading.load16kMono(path: out)
        #expect(saved.count == expected.count)
        #expect(zip(saved, expected).allSatisfy { abs($0 - $1) < 1e-4 })  // 16-bit FLAC
    }

    @Test("record from an ALSA PCM defined in a configuration file, for a fixed duration")
    func recordDevice() throws {
        let raw = scratch("in.raw")
        let values = (0..<16_000).map { Int16(truncatingIfNeeded: $0 * 3) }
        _ = FileManager.default.createFile(atPath: raw, contents: values.withUnsafeBytes { Data($0) })
        let config = scratch("alsa.conf")
        try """
            pcm.proscore_cli_test {
                type file
                slave.pcm { type null }
                file "/dev/null"
                infile "\(raw)"
                format "raw"
            }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let out = scratch("captured.flac")
        let r = try proscore(["record", "--device", "proscore_cli_test", "--alsa-config", config, "--duration", "0.5",
                              "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let saved = try AudioLoading.load16kMono(path: out)
        let expected = values[0..<8_000].map { Float($0) / 32_768 }
        #expect(saved.count == expected.count)
        let firstDifference = saved.indices.first { saved[$0] != expected[$0] }
        #expect(firstDifference == nil, "first difference at sample \(firstDifference ?? -1)")
    }

    @Test("record refuses nonsense options and missing devices with a clear message", arguments: [
        (["record", "--file", "a.wav", "--device", "default"], "not both"),
        (["record", "--file", "a.wav", "--speed", "fast"], "--speed"),
        (["record", "--device", "proscore_no_such_pcm", "--out", NSTemporaryDirectory() + UUID().uuidString + ".flac"], "proscore devices"),
        (["record", "--file", "/nonexistent.wav"], "no such file"),
        (["record", "--rate", "1", "--device", "default"], "--rate"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let r = try proscore(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr was: \(r.stderr)")
    }

    @Test("devices lists ALSA's capture PCMs")
    func devices() throws {
        let r = try proscore(["devices"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("null"))
    }
}

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
    }

    @Test("the shipped presets load and describe valid windows", arguments: ["low-latency", "balanced", "accurate"])
    func shippedPresets(_ name: String) throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let preset = try StreamingPreset.load(path: url.appendingPathComponent("configs/\(name).json").path)
        #expect(preset.name == name)
        #expect(preset.settings.problem == nil)
    }

    @Test("a broken preset file is a clear error naming it")
    func brokenPreset() throws {
        let path = scratch("bad.json")
        try #"{"name": "x", "streaming": {"chunk_ms": 0}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PresetError.self) { _ = try StreamingPreset.load(path: path) }
        let r = try proscore(["bench", "streaming", "--preset", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains(path))
    }
}

@Suite("proscore transcribe", .serialized)
struct TranscribeCommandTests {
    @Test("streamed words with times match the offline greedy transcript when the window covers the audio")
    func transcribe() throws {
        // A layer-norm checkpoint without input normalisation streams its conv stack exactly;
        // a window longer than the audio makes the transformer exact too.
        var dir = URL(fileURLWithPath: fixtureModel)
        dir.deleteLastPathComponent()
        let model = dir.appendingPathComponent("wav2vec2-layer-postnorm-ctc").path
        let expected = try SafeTensorsFile(path: model + "/expected.safetensors")
        let audio = try expected.tensor("audio").scalars
        let path = scratch("fixture.wav")
        try SoundFileWriter.write(audio, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let preset = scratch("whole.json")
        try StreamingPreset(name: "whole", description: "window longer than the audio",
                            settings: StreamingSettings(chunkMs: 400, leftContextMs: 4_000, lookaheadMs: 4_000)).write(path: preset)
        let r = try proscore(["transcribe", model, path, "--preset", preset, "--json", "--endpoint-ms", "5000"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let wordLines = lines.filter { $0["word"] != nil }
        let words = wordLines.map { $0["word"] as! String }
        let offline = try AudioEncoderLoader.load(path: model).encoder(audio)
        let vocabulary = try CTCVocabulary(path: model + "/vocab.json")
        #expect(!words.isEmpty)
        #expect(words.joined(separator: " ") == vocabulary.greedyTranscript(offline.logits!))
        let starts = wordLines.map { $0["start_s"] as! Double }
        #expect(starts == starts.sorted())
        #expect(lines.last?["utterance"] as? String == words.joined(separator: " "))
    }

    @Test("a checkpoint without a CTC head cannot transcribe, and says so")
    func noHead() throws {
        var root = URL(fileURLWithPath: fixtureModel)
        root.deleteLastPathComponent()
        let r = try proscore(["transcribe", root.appendingPathComponent("hubert-base").path, try makeRecording()])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no CTC head"))
    }
}

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

@Suite("recorded sessions", .serialized)
struct SessionsCommandTests {
    func longRecording(seconds: Double) throws -> String {
        let path = scratch("long.wav")
        let samples = (0..<Int(seconds * 16_000)).map { i -> Float in
            let t = Float(i) / 16_000
            return 0.3 * sin(2 * .pi * 200 * t) * (sin(2 * .pi * 0.7 * t) > 0 ? 1 : 0.02)
        }
        try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        return path
    }

    @Test("a replayed session is stored, listed, shown, exported as JSON and CSV, and deleted")
    func lifecycle() throws {
        let store = scratch("sessions.sqlite")
        let r = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("session 1"))
        let list = try proscore(["sessions", "list", "--store", store])
        #expect(list.stdout.contains("complete"))
        let show = try proscore(["sessions", "show", "1", "--store", store])
        #expect(show.stdout.contains("estimates") && show.stdout.contains("summary"))
        let json = try proscore(["sessions", "export", "1", "--format", "json", "--store", store])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let events = object["events"] as! [[String: Any]]
        #expect(events.contains { $0["kind"] as? String == "estimate" } && events.contains { $0["kind"] as? String == "word" })
        #expect((object["summary"] as? [String: Any])?["words"] != nil)
        let csv = try proscore(["sessions", "export", "1", "--format", "csv", "--store", store])
        #expect(csv.stdout.hasPrefix("kind,audio_s,"))
        #expect(csv.stdout.split(separator: "\n").count == events.count + 1)
        #expect(try proscore(["sessions", "delete", "1", "--store", store]).status == 0)
        let gone = try proscore(["sessions", "show", "1", "--store", store])
        #expect(gone.status != 0 && gone.stderr.contains("No session 1"))
    }

    @Test("Ctrl-C (SIGINT) mid-replay ends the session cleanly: it is saved as stopped, with a summary")
    func sigint() throws {
        let store = scratch("interrupted.sqlite")
        let (process, out) = try launch(["replay", try longRecording(seconds: 6), "--model", fixtureModel, "--speed", "1", "--json", "--store", store])
        _ = readUntil(out, contains: "\"estimate\"")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let export = try proscore(["sessions", "export", "1", "--format", "json", "--store", store])
        let object = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as! [String: Any]
        #expect(object["ended_at"] is String)
        #expect(object["status"] as? String == "stopped")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect((summary["audio_s"] as! Double) < 5.5, "stopped early, not at the end of the recording")
    }

    @Test("killing the process with SIGKILL mid-replay loses at most the estimate in flight")
    func sigkill() throws {
        let store = scratch("killed.sqlite")
        let audio = try longRecording(seconds: 6)
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let (process, out) = try launch(["replay", audio, "--model", fixtureModel, "--speed", "1", "--json", "--store", store,
                                         "--preset", root.appendingPathComponent("configs/low-latency.json").path])
        // Read estimates as they are printed; kill once three have gone out.
        let printed = readUntil(out, contains: "\"estimate\"", count: 3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let list = try proscore(["sessions", "list", "--store", store])
        #expect(list.stdout.contains("interrupted"))
        let export = try proscore(["sessions", "export", "1", "--format", "json", "--store", store])
        #expect(export.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as! [String: Any]
        let stored = (object["events"] as! [[String: Any]]).filter { $0["kind"] as? String == "estimate" }.count
        #expect(stored >= printed - 1, "printed \(printed) estimates, stored \(stored)")
        #expect(object["ended_at"] is NSNull)
    }
}

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

@Suite("proscore visualize", .serialized)
struct VisualizeCommandTests {
    @Test("visualize draws the spectrogram, a PCA colour strip and k-means units on one time axis")
    func visualize() throws {
        let out = scratch("layer.svg")
        let r = try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "2", "--units", "4", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("spectrogram") && svg.contains("principal components") && svg.contains("k-means units (k = 4)"))
        #expect(r.stdout.contains("units"))
        let png = scratch("layer.png")
        #expect(try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "2", "--out", png]).status == 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(height == 240)
        #expect(String(decoding: bytes[(bytes.count - 8)..<(bytes.count - 4)], as: UTF8.self) == "IEND")
        let bad = try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "9", "--out", out])
        #expect(bad.status != 0 && bad.stderr.contains("0…3"))
    }
}

@Suite("rolling scores from the shipped head", .serialized)
struct HeadScoresTests {
    @Test("replay emits 0–10 scores every hop from the fluency head; --head none switches them off")
    func scores() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let head = root.appendingPathComponent("configs/heads/fluency.json").path
        let audio = root.appendingPathComponent("recordings/anna-morning.flac").path
        let r = try proscore(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json", "--no-store", "--head", head])
        #expect(r.status == 0, "\(r.stderr)")
        let estimates = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
        }
        let scored = estimates.compactMap { $0["scores"] as? [String: Double] }
        #expect(!scored.isEmpty)
        for s in scored {
            #expect(Set(s.keys) == ["accuracy", "fluency", "prosodic", "total"])
            #expect(s.values.allSatisfy { (0...10).contains($0) })
        }
        let off = try proscore(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json", "--no-store", "--head", "none"])
        #expect(!off.stdout.contains("\"scores\""))
    }
}

@Suite("read-aloud reference in replay", .serialized)
struct ReferenceReplayTests {
    @Test("completeness reaches 10 when every reference word is recognised, less when words are missing; extras are listed")
    func completeness() throws {
        var dir = URL(fileURLWithPath: fixtureModel)
        dir.deleteLastPathComponent()
        let model = dir.appendingPathComponent("wav2vec2-layer-postnorm-ctc").path
        let audio = try SafeTensorsFile(path: model + "/expected.safetensors").tensor("audio").scalars
        let path = scratch("fixture.wav")
        try SoundFileWriter.write(audio, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let preset = scratch("whole.json")
        try StreamingPreset(name: "whole", description: "window longer than the audio",
                            settings: StreamingSettings(chunkMs: 400, leftContextMs: 4_000, lookaheadMs: 4_000)).write(path: preset)
        let spoken = try AudioEncoderLoader.load(path: model).encoder(audio)
        let transcript = try CTCVocabulary(path: model + "/vocab.json").greedyTranscript(spoken.logits!)
        let words = transcript.split(separator: " ").map(String.init)
        #expect(words.count >= 2)

        func last(_ reference: String) throws -> [String: Any] {
            let r = try proscore(["replay", path, "--model", model, "--preset", preset, "--speed", "max", "--json", "--no-store",
                                  "--head", "none", "--endpoint-ms", "5000", "--reference", reference])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
            }.last!
        }
        #expect(try last(transcript)["completeness"] as? Double == 10)
        let withMissing = try last(words[0] + " NEVERSAID " + words.dropFirst().joined(separator: " "))
        #expect((withMissing["completeness"] as! Double) < 10)
        #expect(withMissing["omitted_words"] as? [String] == ["NEVERSAID"])
        let shorter = try last(words.dropLast().joined(separator: " "))
        #expect(shorter["inserted_words"] as? [String] == [words.last!])
    }
}

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
        func settings(_ r: CommandResult) throws -> [String: String] {
            (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any])["configuration"] as! [String: String]
        }
        let a = try settings(first), b = try settings(second)
        #expect(a["window_s"] == "10.0" && a["pause_ms"] == "400" && a["endpoint_ms"] == "900" && a["head"] == "none")
        #expect(b["pause_ms"] == "300" && b["window_s"] == "10.0")
        #expect(first.stdout.contains(fixtureModel))
    }
}

@Suite("text scores in sessions", .serialized)
struct TextScoresInSessionTests {
    @Test("with the MiniLM model present, replay emits text scores stamped with their span and stores them")
    func textScores() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let text = root.appendingPathComponent("models/all-minilm-l6-v2").path
        let store = scratch("text.sqlite")
        let r = try proscore(["replay", root.appendingPathComponent("recordings/anna-morning.flac").path, "--model", fixtureModel,
                              "--speed", "max", "--json", "--store", store, "--text-model", text, "--reference", "Hello my name is Anna"])
        #expect(r.status == 0, "\(r.stderr)")
        let scores = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text_scores"] as? [String: Any]
        }
        let first = try #require(scores.first)
        #expect(first["relevance"] is Double && first["lexical_diversity"] is Double)
        #expect((first["end_s"] as! Double) > (first["start_s"] as! Double))
        let export = try proscore(["sessions", "export", "1", "--store", store])
        #expect(export.stdout.contains("\"text_scores\""))
    }
}

@Suite("validity on synthesised speech, default model and head", .serialized)
struct ValidityOnAudioTests {
    let sentence = "Every morning I read the news and then I walk to work with my friend"

    /// Speaks `text` with espeak-ng (words per minute, gap between words in 10 ms units).
    func speak(_ text: String, rate: Int = 150, gap: Int = 0) throws -> String {
        let path = scratch("speech.wav")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/espeak-ng")
        p.arguments = ["-v", "en-us", "-s", "\(rate)", "-g", "\(gap)", "-w", path, text]
        try p.run()
        p.waitUntilExit()
        return path
    }

    /// The final fluency estimate of a replay with the default model, head and accurate preset.
    func fluency(_ audio: String) throws -> Double {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let (process, out) = try launch(["replay", audio, "--speed", "max", "--json", "--no-store", "--text-model", "none",
                                         "--preset", "configs/accurate.json"], in: root)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
        }.last
        return try #require((last?["scores"] as? [String: Double])?["fluency"], "no scores: is the default model in models/?")
    }

    @Test("longer pauses between words lower the fluency estimate")
    func pauses() throws {
        #expect(FileManager.default.fileExists(atPath: "/usr/bin/espeak-ng"), "espeak-ng comes with make setup")
        let values = try [0, 20, 40].map { try fluency(try speak(sentence, gap: $0)) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(values)")
    }

    @Test("slower speech lowers the fluency estimate")
    func slower() throws {
        let values = try [150, 110, 90].map { try fluency(try speak(sentence, rate: $0)) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(values)")
    }

    @Test("filled pauses lower the fluency estimate")
    func filled() throws {
        let texts = [sentence,
                     "Every morning, um, I read the news, uh, and then I walk, um, to work with my friend",
                     "Every, um, morning, uh, I read, um, the news, uh, and then, um, I walk, uh, to work with my friend"]
        let values = try texts.map { try fluency(try speak($0)) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(values)")
    }
}
