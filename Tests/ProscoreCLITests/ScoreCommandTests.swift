import Foundation
import ProscoreFakes
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreScoring
import Testing

@Suite("proscore score: the replay path over many files", .serialized)
struct ScoreCommandTests {
    /// espeak-ng speech at `rate` words per minute, as a WAV file.
    func speak(_ text: String, rate: Int) throws -> String {
        try SynthesisedSpeech.espeak(text, rate: rate, to: scratch("speech-\(rate).wav"))
    }


    @Test("a head trained on extract's features scores each file through score exactly as it scored the features",
          arguments: [["--fluency-only"], ["--layer-pooling", "weighted-mix"], ["--layer-pooling", "concatenated"]])
    func trainedHeadThroughScore(_ headOptions: [String]) throws {
        let text = "Every morning I read the news and then I walk to work"
        let manifest = scratch("class.jsonl")
        var lines: [String] = []
        for (i, rate) in [90, 110, 130, 150, 170, 190].enumerated() {
            let audio = try speak(text, rate: rate)
            lines.append(#"{"id": "u\#(i)", "audio": "\#(audio)", "speaker": "s\#(i % 3)", "text": "\#(text)", "labels": {"total": \#(Double(rate) / 25)}}"#)
        }
        try lines.joined(separator: "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        let features = scratch("features")
        let extract = try proscore(["extract", manifest, "--model", layerNormModel, "--out", features])
        #expect(extract.status == 0, "\(extract.stderr)")
        let head = scratch("head.json")
        let train = try proscore(["train", features, "--kind", "free", "--targets", "total", "--folds", "3", "--out", head] + headOptions)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("warning: 6 labelled utterances from 3 speakers: a head fitted on so few will not hold"), "\(train.stderr)")

        let scored = try proscore(["score", manifest, "--model", layerNormModel, "--head", head, "--format", "jsonl", "--jobs", "2"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let rows = scored.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.count == 6)
        let trained = try HeadFile.read(path: head).head
        let index = try String(contentsOfFile: features + "/index.jsonl", encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        for row in rows {
            let id = row["id"] as! String
            let entry = try #require(index.first { $0["id"] as? String == id })
            let stored = try #require(entry["window_features"] as? [String: Double])
            var pooled: [[Float]] = []
            if !trained.layers.isEmpty {
                let tensor = try SafeTensorsFile(path: features + "/" + (entry["file"] as! String)).tensor("pooled")
                pooled = (0..<tensor.shape[0]).map { tensor[$0].scalars }
            }
            let expected = trained.predict(pooled: pooled, extras: trained.extraFeatures.map { stored[$0] ?? 0 })["total"]!
            let served = try #require((row["scores"] as? [String: Double])?["total"], "\(row)")
            #expect(abs(served - expected) < 1e-6, "\(id): score gave \(served), the features give \(expected)")
        }
    }

    @Test("a file that fails is reported and the batch goes on; the exit status says some failed")
    func perFileErrors() throws {
        let out = scratch("scores.csv")
        let r = try proscore(["score", try makeRecording(), "/nonexistent/missing.wav", "--model", layerNormModel, "--out", out])
        #expect(r.status == 2)
        #expect(r.stderr.contains("/nonexistent/missing.wav: no such file"))
        let csv = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0].hasPrefix("id,file,speaker,duration_s,words,accuracy,fluency,prosodic,total"))
        #expect(csv[2].hasSuffix("no such file."))
        let again = try proscore(["score", try makeRecording(), "--model", layerNormModel, "--out", out])
        #expect(again.status != 0 && again.stderr.contains("--overwrite"))
    }

    @Test("Ctrl-C (SIGINT) stops the batch: the files scored by then are written, the rest are counted, the status is 130")
    func interruptedBatch() throws {
        let folder = scratch("many")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let recording = try longRecording(seconds: 3)
        for i in 0..<200 { try FileManager.default.copyItem(atPath: recording, toPath: folder + "/r\(i).wav") }
        let out = scratch("many.csv")
        let (process, _, errors) = try launchCapturingErrors(["score", folder, "--model", fixtureModel, "--out", out])
        var said = interruptAfterFirstProgress(process, errors, of: 200)
        said += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(said)")
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count >= 1 && rows.count < 200, "\(rows.count) rows")
        #expect(said.contains("0 failed; stopped (SIGINT or SIGTERM) before the other \(200 - rows.count) of 200 recordings"), "\(said)")
    }

    @Test("Ctrl-C during extract keeps what was written, says what is left and exits with 130; the same command resumes", arguments: [[], ["--offline"]])
    func interruptedExtract(_ path: [String]) throws {
        let recording = try longRecording(seconds: 3)
        let manifest = scratch("many.jsonl")
        try (0..<200).map { #"{"id": "u\#($0)", "audio": "\#(recording)", "speaker": "s\#($0 % 5)"}"# }.joined(separator: "\n")
            .write(toFile: manifest, atomically: true, encoding: .utf8)
        let out = scratch("many-features" + path.joined())
        let (process, stdout, errors) = try launchCapturingErrors(["extract", manifest, "--model", fixtureModel, "--out", out] + path)
        _ = interruptAfterFirstProgress(process, errors, of: 200)
        let summary = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(summary)")
        let kept = try String(contentsOfFile: out + "/index.jsonl", encoding: .utf8).split(separator: "\n").count
        // (The serving path stores a recording the speech gate refused as a line without features.)
        #expect(kept >= 1 && kept < 200 && summary.contains("before the other \(200 - kept) of 200: run the same command again"), "\(kept): \(summary)")
        let resumed = try proscore(["extract", manifest, "--model", fixtureModel, "--out", out] + path)
        #expect(resumed.status == 0 && resumed.stdout.contains("\(kept) already there"), "\(resumed.stdout)")
        #expect(try String(contentsOfFile: out + "/index.jsonl", encoding: .utf8).split(separator: "\n").count == 200)
    }

    @Test("--out may not be one of the recordings; files in formats Proscore cannot read are named, not left out silently")
    func outputAndForeignFiles() throws {
        let folder = scratch("phone")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try longRecording(seconds: 2), toPath: folder + "/take1.wav")
        try Data("not really audio".utf8).write(to: URL(fileURLWithPath: folder + "/take2.m4a"))
        let overInput = try proscore(["score", folder, "--model", fixtureModel, "--out", folder + "/take1.wav", "--overwrite"])
        #expect(overInput.status != 0 && overInput.stderr.contains("is one of the recordings to score"), "\(overInput.stderr)")
        #expect(try SoundFile(path: folder + "/take1.wav").frames == 32_000, "the recording is untouched")
        // Nor the manifest or the references being read.
        let manifest = scratch("phone.jsonl"), references = scratch("refs.tsv")
        let list = #"{"id": "take1", "audio": "\#(folder)/take1.wav", "text": "hello"}"#
        try list.write(toFile: manifest, atomically: true, encoding: .utf8)
        try "take1\thello\n".write(toFile: references, atomically: true, encoding: .utf8)
        let overManifest = try proscore(["score", manifest, "--model", fixtureModel, "--out", manifest, "--overwrite"])
        #expect(overManifest.status != 0 && overManifest.stderr.contains("is the manifest being read"), "\(overManifest.stderr)")
        let overReferences = try proscore(["score", folder + "/take1.wav", "--references", references, "--model", fixtureModel, "--out", references, "--overwrite"])
        #expect(overReferences.status != 0 && overReferences.stderr.contains("is the --references file being read"), "\(overReferences.stderr)")
        #expect(try String(contentsOfFile: manifest, encoding: .utf8) == list && (try String(contentsOfFile: references, encoding: .utf8)) == "take1\thello\n")
        let r = try proscore(["score", folder, "--model", fixtureModel])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(folder)/take2.m4a: a format Proscore cannot read, left out"), "\(r.stderr)")
        // The format follows --out's extension unless --format says otherwise.
        let jsonl = scratch("phone.jsonl")
        #expect(try proscore(["score", folder, "--model", fixtureModel, "--out", jsonl]).status == 0)
        let line = try #require(try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n").first)
        #expect((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["file"] as? String == folder + "/take1.wav")
        try FileManager.default.removeItem(atPath: folder + "/take1.wav")
        let only = try proscore(["score", folder, "--model", fixtureModel])
        #expect(only.status != 0 && only.stderr.contains("take2.m4a: a format Proscore cannot read"), "\(only.stderr)")
    }

    @Test("folders named beside files give their recordings, a file named twice is scored once, recordings without speech are counted apart")
    func foldersBesideFiles() throws {
        let speech = try speak("Every morning I read the news", rate: 150)
        let folder = scratch("class")
        try FileManager.default.createDirectory(atPath: folder + "/anna", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: speech, toPath: folder + "/anna/reading.wav")
        try SoundFileWriter.write([Float](repeating: 0, count: 32_000), channels: 1, sampleRate: 16_000, format: .wav16, to: folder + "/quiet.wav")
        let r = try proscore(["score", folder, speech, speech, "--model", layerNormModel, "--format", "jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.compactMap { $0["file"] as? String }.sorted() == [folder + "/anna/reading.wav", folder + "/quiet.wav", speech].sorted(), "\(rows)")
        #expect(r.stderr.contains("1 recording(s) named more than once, scored once"), "\(r.stderr)")
        #expect(r.stderr.contains("2 scored, 1 without scores"), "\(r.stderr)")
        // A learner's subfolder is the recording's speaker, whether the folder is named alone or not.
        let speakers = Dictionary(rows.compactMap { row in (row["file"] as? String).map { ($0, row["speaker"] as? String) } }) { a, _ in a }
        #expect(speakers[folder + "/anna/reading.wav"] == "anna" && speakers[folder + "/quiet.wav"]! == nil && speakers[speech]! == nil, "\(rows)")
        let alone = try proscore(["score", folder, "--model", layerNormModel, "--format", "csv"])
        #expect(alone.stdout.split(separator: "\n").contains { $0.hasPrefix("anna/reading,\(folder)/anna/reading.wav,anna,") }, "\(alone.stdout)")

        let manifestBeside = try proscore(["score", folder, scratch("class.jsonl"), "--model", layerNormModel])
        #expect(manifestBeside.status != 0 && manifestBeside.stderr.contains("is a manifest: score it on its own"), "\(manifestBeside.stderr)")
        let missingManifest = try proscore(["score", scratch("gone.jsonl"), "--model", layerNormModel])
        #expect(missingManifest.status != 0 && missingManifest.stderr.contains("gone.jsonl: no such file or folder"), "\(missingManifest.stderr)")
        let overwriteAlone = try proscore(["score", speech, "--overwrite"])
        #expect(overwriteAlone.status != 0 && overwriteAlone.stderr.contains("--overwrite replaces the file of --out"), "\(overwriteAlone.stderr)")
    }

    @Test("a preset is named by its name or its file; an unknown name lists the presets there are")
    func presetByName() throws {
        let speech = try speak("Every morning I read the news", rate: 150)
        let byName = try proscore(["score", speech, "--preset", "low-latency", "--model", layerNormModel, "--format", "jsonl"])
        let byFile = try proscore(["score", speech, "--preset", "configs/low-latency.json", "--model", layerNormModel, "--format", "jsonl"])
        #expect(byName.status == 0 && byFile.status == 0, "\(byName.stderr)\(byFile.stderr)")
        func scores(_ r: CommandResult) -> [String: Double]? {
            (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["scores"] as? [String: Double]
        }
        #expect(scores(byName) != nil && scores(byName) == scores(byFile), "\(byName.stdout)")
        let unknown = try proscore(["score", speech, "--preset", "fastest", "--model", layerNormModel])
        #expect(unknown.status != 0 && unknown.stderr.contains("fastest: no such preset") && unknown.stderr.contains("balanced, balanced-int8"),
                "\(unknown.stderr)")
    }
}

/// Sends SIGINT once the progress on `errors` shows the first of `total` items done; returns
/// what it said until then.
func interruptAfterFirstProgress(_ process: Process, _ errors: Pipe, of total: Int) -> String {
    var said = ""
    while !said.contains("1/\(total)") {
        let piece = readSome(errors)
        if piece.isEmpty { break }
        said += String(decoding: piece, as: UTF8.self)
    }
    kill(process.processIdentifier, SIGINT)
    return said
}
