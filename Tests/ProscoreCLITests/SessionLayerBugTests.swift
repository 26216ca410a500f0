import Foundation
import ProscoreAudio
import Testing

/// Each test pins one failure found by trying the product (issue "The session layer").
@Suite("session layer: failures found by trying the product", .serialized)
struct SessionLayerBugTests {
    func jsonLines(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func exported(_ id: Int, store: String) throws -> [String: Any] {
        let r = try proscore(["sessions", "export", String(id), "--format", "json", "--store", store])
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    @Test("four replays writing one store at once all complete with every event")
    func concurrentReplays() throws {
        let store = scratch("shared.sqlite")
        let audio = try longRecording(seconds: 4)
        let runs = try (0..<4).map { _ in
            try launchCapturingErrors(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json", "--store", store])
        }
        var printed: [Int: Int] = [:]
        for run in runs {
            let stdout = String(decoding: readAll(run.stdout), as: UTF8.self)
            let stderr = String(decoding: readAll(run.stderr), as: UTF8.self)
            run.process.waitUntilExit()
            #expect(run.process.terminationStatus == 0, "\(stderr)")
            #expect(!stderr.contains("locked"), "\(stderr)")
            let lines = jsonLines(stdout)
            let id = try #require((lines.first?["session"] as? [String: Any])?["id"] as? Int)
            printed[id] = lines.filter { $0["estimate"] != nil }.count
        }
        #expect(printed.count == 4)
        for (id, estimates) in printed {
            let object = try exported(id, store: store)
            #expect(object["status"] as? String == "complete")
            let stored = (object["events"] as! [[String: Any]]).filter { $0["kind"] as? String == "estimate" }.count
            #expect(stored == estimates, "session \(id): printed \(estimates) estimates, stored \(stored)")
        }
    }

    @Test("record never destroys a file: an existing --out is refused and kept, even when the device then fails")
    func recordKeepsFiles() throws {
        let existing = scratch("keep.flac")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: existing))
        let refused = try proscore(["record", "--file", try makeRecording(), "--out", existing])
        #expect(refused.status != 0 && refused.stderr.contains("--overwrite"))
        let failed = try proscore(["record", "--device", "proscore_no_such_pcm", "--out", existing, "--overwrite"])
        #expect(failed.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("precious".utf8))
    }

    @Test("record refuses to write over the recording it replays")
    func recordInputIsNotOutput() throws {
        let input = scratch("in.flac")
        let source = try makeRecording()
        #expect(try proscore(["record", "--file", source, "--out", input, "--speed", "max"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let r = try proscore(["record", "--file", input, "--out", input, "--overwrite"])
        #expect(r.status != 0 && r.stderr.contains("is the recording being replayed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
    }

    @Test("record --out x.wav writes WAV, not FLAC bytes; other extensions are refused")
    func recordContainer() throws {
        let wav = scratch("take.wav")
        #expect(try proscore(["record", "--file", try makeRecording(), "--out", wav, "--speed", "max"]).status == 0)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: wav)).prefix(4), as: UTF8.self) == "RIFF")
        let mp3 = try proscore(["record", "--file", try makeRecording(), "--out", scratch("take.mp3")])
        #expect(mp3.status != 0 && mp3.stderr.contains(".flac or .wav"))
    }

    @Test("--json says the session id first and stores the real summary, not zeros")
    func jsonSummary() throws {
        let store = scratch("json.sqlite")
        let r = try proscore(["replay", try longRecording(seconds: 3), "--model", fixtureModel, "--speed", "max", "--json", "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = jsonLines(r.stdout)
        #expect((lines.first?["session"] as? [String: Any])?["id"] as? Int == 1)
        let last = try #require(lines.last)
        #expect(last["status"] as? String == "complete")
        let printed = try #require(last["summary"] as? [String: Any])
        let stored = try #require(try exported(1, store: store)["summary"] as? [String: Any])
        #expect((stored["audio_s"] as? Double ?? 0) > 2.9)
        #expect(stored["audio_s"] as? Double == printed["audio_s"] as? Double)
        #expect((stored["session"] as? [String: Any]) != nil && stored["rtf"] as? Double ?? 0 > 0)
    }

    @Test("a session lists as running while it runs, and SIGTERM ends it stopped with a summary")
    func runningThenTerminated() throws {
        let store = scratch("running.sqlite")
        let (process, out) = try launch(["replay", try longRecording(seconds: 8), "--model", fixtureModel, "--speed", "1", "--json", "--store", store])
        _ = readUntil(out, contains: "\"estimate\"")
        let list = try proscore(["sessions", "list", "--store", store])
        #expect(list.stdout.contains("running"), "\(list.stdout)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let object = try exported(1, store: store)
        #expect(object["status"] as? String == "stopped")
        #expect((object["summary"] as? [String: Any])?["audio_s"] as? Double ?? 99 < 7.5)
    }

    @Test("after kill -9 the session reads back interrupted and its report shows the stored measures and words")
    func killedSessionReport() throws {
        let store = scratch("killed.sqlite")
        let (process, out) = try launch(["replay", try longRecording(seconds: 6), "--model", fixtureModel, "--speed", "1", "--json", "--store", store])
        _ = readUntil(out, contains: "\"estimate\"", count: 4)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try exported(1, store: store)["status"] as? String == "interrupted")
        let html = scratch("killed.html")
        let r = try proscore(["report", "1", "--out", html, "--store", store])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<b>interrupted</b>"))
        #expect(!page.contains("<div class=v>0<small> %</small>"), "phonation comes from the last stored estimate, not zero")
    }

    @Test("a live session whose device cannot be opened leaves no session behind")
    func failedLiveLeavesNothing() throws {
        let store = scratch("failed-live.sqlite")
        let r = try proscore(["live", "--device", "proscore_no_such_pcm", "--model", fixtureModel, "--store", store])
        #expect(r.status != 0)
        let list = try proscore(["sessions", "list", "--json", "--store", store])
        #expect(list.stdout.isEmpty, "\(list.stdout)")
    }

    @Test("deleting a running session stops its writer with a clear error and a non-zero status")
    func deletedWhileRunning() throws {
        let store = scratch("deleted.sqlite")
        let run = try launchCapturingErrors(["replay", try longRecording(seconds: 8), "--model", fixtureModel, "--speed", "1", "--json", "--store", store])
        _ = readUntil(run.stdout, contains: "\"estimate\"")
        #expect(try proscore(["sessions", "delete", "1", "--force", "--yes", "--store", store]).status == 0)
        run.process.waitUntilExit()
        let stderr = String(decoding: readAll(run.stderr), as: UTF8.self)
        #expect(run.process.terminationStatus != 0)
        #expect(stderr.contains("deleted") && !stderr.contains("FOREIGN KEY"), "\(stderr)")
    }

    @Test("a second Ctrl-C quits at once even while opening the source blocks")
    func secondInterruptQuits() throws {
        let fifo = scratch("blocked.wav")
        #expect(mkfifo(fifo, 0o600) == 0)
        let (process, _) = try launch(["replay", fifo, "--model", fixtureModel, "--store", scratch("fifo.sqlite")])
        usleep(1_500_000)  // the model loads, then opening the FIFO blocks: no writer
        kill(process.processIdentifier, SIGINT)
        usleep(200_000)
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!process.isRunning)
        if process.isRunning { process.terminate() } else { #expect(process.terminationStatus == 130) }
    }

    @Test("bad values get errors that say what to do", arguments: [
        (["replay", "REC", "--speed", "-3"], "--speed"),
        (["replay", "REC", "--offset", "-5"], "--offset must be 0 or more"),
        (["replay", "REC", "--offset", "99"], "past the end of the recording"),
        (["replay", "REC", "--duration", "0"], "--duration must be more than 0"),
        (["replay", "REC", "--store", ""], "store path is empty"),
        (["replay", "REC", "--store", "/proc/x.sqlite"], "--store must name"),
        // A mistyped folder would have started an empty history there.
        (["replay", "REC", "--store", "/nonexistent-folder/x.sqlite"], "its folder /nonexistent-folder does not exist; create it first, or correct --store"),
        (["report", "1", "--out", "/nonexistent-folder/r.html", "--store", "STORE"], "does not exist"),
        // A reference the recogniser cannot write would have made an empty "read aloud" session.
        (["replay", "REC", "--reference", "0351", "--no-store"], "has no word written in letters"),
        (["score", "REC", "--reference", "3 4"], "write numbers as words"),
        (["serve", "--port", "-1"], "--port must be 0–65535"),
        (["score", "REC", "--jobs", "-1"], "--jobs must be 1–64"),
    ])
    func clearErrors(arguments: [String], message: String) throws {
        let store = scratch("errors.sqlite")
        let recording = try makeRecording()
        _ = try proscore(["replay", recording, "--model", fixtureModel, "--speed", "max", "--store", store])
        let args = arguments.map { $0 == "REC" ? recording : $0 == "STORE" ? store : $0 } + (arguments[0] == "replay" ? ["--model", fixtureModel] : [])
        let r = try proscore(args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("Missing value") && !r.stderr.contains("may be truncated"))
    }

    @Test("reference words without a letter are named as left out of the reading")
    func numbersInTheReference() throws {
        let r = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--no-store",
                              "--reference", "Room 101 is on floor 3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: --reference: 101, 3 left out of the reading"), "\(r.stderr)")
    }

    @Test("a truncated FLAC or WAV is scored with a warning that says so", arguments: [SoundFileWriter.Format.flac, .wav16])
    func truncatedRecording(format: SoundFileWriter.Format) throws {
        let suffix = format == .flac ? "flac" : "wav"
        let whole = scratch("whole.\(suffix)")
        try SoundFileWriter.write((0..<64_000).map { Float(0.3 * sin(Double($0) * 0.05)) }, channels: 1, sampleRate: 16_000, format: format, to: whole)
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        let cut = scratch("cut.\(suffix)")
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        let r = try proscore(["replay", cut, "--model", fixtureModel, "--speed", "max", "--no-store"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning:") && r.stderr.contains("truncated"), "\(r.stderr)")
        if format == .wav16 { #expect(r.stderr.contains("header promises 4.00 s"), "\(r.stderr)") }
        let intact = try proscore(["replay", whole, "--model", fixtureModel, "--speed", "max", "--no-store"])
        #expect(!intact.stderr.contains("truncated"), "\(intact.stderr)")
    }

    @Test("--version, sessions list with headers and --json, and progress on stderr for long replays")
    func smallMissingPieces() throws {
        let version = try proscore(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("0."))
        let store = scratch("list.sqlite")
        let r = try proscore(["replay", try longRecording(seconds: 25), "--model", fixtureModel, "--speed", "max", "--store", store])
        #expect(r.stderr.contains("progress:") && r.stderr.contains("of 25.0 s"), "\(r.stderr)")
        let list = try proscore(["sessions", "list", "--store", store])
        #expect(list.stdout.hasPrefix("  id  started") && list.stdout.contains("status"))
        let json = try proscore(["sessions", "list", "--json", "--store", store])
        let object = try #require(jsonLines(json.stdout).first)
        #expect(object["id"] as? Int == 1 && object["status"] as? String == "complete" && (object["audio_s"] as? Double ?? 0) > 24)
    }

    @Test("the default store lives under $HOME when neither PROSCORE_STORE nor XDG_DATA_HOME is set")
    func homeStore() throws {
        let home = scratch("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let r = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max"],
                             environment: ["PROSCORE_STORE": nil, "XDG_DATA_HOME": nil, "HOME": home])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/.local/share/proscore/sessions.sqlite"))
    }

    @Test("devices --alsa-config lists the PCMs the file defines")
    func devicesWithConfig() throws {
        let config = scratch("extra.conf")
        try "pcm.proscore_listed { type null }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try proscore(["devices", "--alsa-config", config])
        #expect(r.status == 0 && r.stdout.contains("proscore_listed"))
    }
}
