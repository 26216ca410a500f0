import Foundation
import ProscoreCheckpoint
import ProscoreFakes
import Testing

/// What keeps a feature folder one data set, and a head tied to what it was trained on: a
/// folder `extract` did not make is not written into, a resume extracts again what is gone
/// or changed, a folder that mixes two extractions is refused, and a head is refused by a
/// model or a feature path other than its own.
@Suite("care for feature folders and the heads trained on them", .serialized)
struct FeatureFolderCareTests {
    func manifest(_ lines: [String], name: String = "m.jsonl") throws -> String {
        let path = scratch(name)
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Three spoken utterances by two speakers (or none), labelled on 0–10 unless `scale` says otherwise.
    func spoken(speakers: Bool = true, scale: Double = 1, texts: [String] = ["we call it bear", "the sun is warm", "i like green tea"]) throws -> String {
        let lines = try texts.enumerated().map { i, text -> String in
            let audio = try SynthesisedSpeech.espeak(text, rate: 140, to: scratch("u\(i).wav"))
            let speaker = speakers ? #""speaker": "s\#(i % 2)", "# : ""
            return #"{"id": "u\#(i)", "audio": "\#(audio)", \#(speaker)"text": "\#(text)", "labels": {"total": \#(Double(5 + i) * scale), "accuracy": 7}}"#
        }
        return try manifest(lines)
    }

    /// index.jsonl's lines by id, a later line superseding an earlier one.
    func index(_ folder: String) throws -> [String: [String: Any]] {
        let lines = try String(contentsOfFile: folder + "/index.jsonl", encoding: .utf8).split(separator: "\n")
        var byId: [String: [String: Any]] = [:]
        for line in lines {
            if let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = row["id"] as? String { byId[id] = row }
        }
        return byId
    }

    @Test("extract writes only into a new, empty or its own folder: another folder, one with features of unknown settings, or a file are refused untouched")
    func foreignFolders() throws {
        let list = try manifest([#"{"id": "a", "audio": "\#(try makeRecording())", "speaker": "s", "labels": {"total": 5}}"#])
        let foreign = scratch("notes")
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try "mine".write(toFile: foreign + "/todo.txt", atomically: true, encoding: .utf8)
        let r = try proscore(["extract", list, "--model", layerNormModel, "--out", foreign])
        #expect(r.status != 0 && r.stderr.contains("is not empty (todo.txt)"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign) == ["todo.txt"])

        let unrecorded = scratch("unrecorded")
        try FileManager.default.createDirectory(atPath: unrecorded, withIntermediateDirectories: true)
        try "".write(toFile: unrecorded + "/index.jsonl", atomically: true, encoding: .utf8)
        let u = try proscore(["extract", list, "--model", layerNormModel, "--out", unrecorded])
        #expect(u.status != 0 && u.stderr.contains("no extraction.json"), "\(u.stderr)")

        let file = scratch("features.txt")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let f = try proscore(["extract", list, "--model", layerNormModel, "--out", file])
        #expect(f.status != 0 && f.stderr.contains("is a file") && !f.stderr.contains("NSCocoaErrorDomain"), "\(f.stderr)")
    }

    @Test("a resume extracts again an utterance whose file is gone or whose text changed, and takes corrected labels and speakers from the manifest")
    func resumeFollowsTheManifest() throws {
        let list = try spoken()
        let out = scratch("features")
        let first = try proscore(["extract", list, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(first.status == 0 && first.stdout.contains("3 written"), "\(first.stdout)\(first.stderr)")
        try FileManager.default.removeItem(atPath: out + "/features/u0.safetensors")
        // What a run killed mid-write leaves (Foundation's temporary name for an atomic write).
        try Data(count: 1000).write(to: URL(fileURLWithPath: out + "/features/.dat.nosync3F27.DQGXaw"))
        var text = try String(contentsOfFile: list, encoding: .utf8)
        text = text.replacingOccurrences(of: #""id": "u1", "audio": "#, with: #""id": "u1", "audio": "#)
            .replacingOccurrences(of: #""speaker": "s1", "text": "the sun is warm", "labels": {"total": 6.0"#,
                                  with: #""speaker": "s9", "text": "the sun is warm", "labels": {"total": 3.0"#)
            .replacingOccurrences(of: "i like green tea", with: "i like black tea")
        try text.write(toFile: list, atomically: true, encoding: .utf8)
        let again = try proscore(["extract", list, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("2 written") && again.stdout.contains("1 already there (1 given the manifest's new labels or speaker)"),
                "\(again.stdout)")
        let rows = try index(out)
        #expect(rows.count == 3 && FileManager.default.fileExists(atPath: out + "/features/u0.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: out + "/features/.dat.nosync3F27.DQGXaw"), "the killed run's half-written file is removed")
        #expect(rows["u1"]?["speaker"] as? String == "s9" && (rows["u1"]?["labels"] as? [String: Double])?["total"] == 3)
        #expect(rows["u2"]?["text"] as? String == "i like black tea")
        // One line per utterance in the file itself, for readers other than Proscore (pandas, jq).
        let lines = try String(contentsOfFile: out + "/index.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines.filter { $0.contains("i like green tea") }.isEmpty, "\(lines)")
        // The folder trains as three utterances, not four or five.
        let evaluated = try proscore(["evaluate", out, "--kind", "read-aloud", "--targets", "total", "--folds", "2"])
        #expect(evaluated.status == 0 && evaluated.stdout.contains("3 utterances"), "\(evaluated.stdout)\(evaluated.stderr)")
    }

    @Test("probe and train refuse a folder that mixes two extractions' layers, naming the utterance, instead of crashing or fitting noise")
    func mixedFolders() throws {
        let audio = try makeRecording()
        let all = scratch("all"), two = scratch("two")
        let a = try manifest((0..<4).map { #"{"id": "a\#($0)", "audio": "\#(audio)", "speaker": "s\#($0 % 2)", "labels": {"total": \#($0 + 4)}}"# })
        let b = try manifest((0..<4).map { #"{"id": "b\#($0)", "audio": "\#(audio)", "speaker": "t\#($0 % 2)", "labels": {"total": \#($0 + 4)}}"# }, name: "b.jsonl")
        #expect(try proscore(["extract", a, "--offline", "--model", layerNormModel, "--out", all]).status == 0)
        #expect(try proscore(["extract", b, "--offline", "--model", layerNormModel, "--layers", "0,1", "--out", two]).status == 0)
        // Merged by hand, as one might to train on both.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: all + "/index.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(contentsOf: URL(fileURLWithPath: two + "/index.jsonl")))
        try handle.close()
        for file in try FileManager.default.contentsOfDirectory(atPath: two + "/features") {
            try FileManager.default.copyItem(atPath: two + "/features/" + file, toPath: all + "/features/" + file)
        }
        for command in [["probe", all, "--targets", "total"], ["train", all, "--targets", "total", "--out", scratch("h.json")]] {
            let r = try proscore(command)
            #expect(r.status == 1 && r.stderr.contains("utterance b0 has layers [0, 1]") && r.stderr.contains("mixes features"),
                    "\(command[0]): \(r.status) \(r.stderr)")
        }
    }

    @Test("several folders extracted alike are fitted as one data set; folders extracted otherwise, or sharing an utterance, are refused")
    func severalFolders() throws {
        let audio = try makeRecording()
        func folder(_ prefix: String, _ options: [String] = []) throws -> String {
            let out = scratch(prefix)
            let list = try manifest((0..<4).map { #"{"id": "\#(prefix)\#($0)", "audio": "\#(audio)", "speaker": "\#(prefix)\#($0 % 2)", "text": "we call it bear", "labels": {"total": \#($0 + 4)}}"# })
            let r = try proscore(["extract", list, "--model", layerNormModel, "--out", out] + options)
            #expect(r.status == 0, "\(r.stderr)")
            return out
        }
        let a = try folder("a"), b = try folder("b"), readAloud = try folder("r", ["--read-aloud"])
        let both = try proscore(["evaluate", a, b, "--targets", "total", "--fluency-only", "--json"])
        let counts = try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any]
        #expect(both.status == 0 && counts?["utterances"] as? Int == 8 && counts?["speakers"] as? Int == 4, "\(both.stdout)\(both.stderr)")
        let other = try proscore(["train", a, readAloud, "--targets", "total", "--fluency-only", "--out", scratch("h.json")])
        #expect(other.status != 0 && other.stderr.contains("other settings") && other.stderr.contains("read_aloud false, now true"), "\(other.stderr)")
        let noKind = try proscore(["evaluate", readAloud, "--targets", "total", "--fluency-only", "--folds", "2"])
        #expect(noKind.status == 0 && noKind.stderr.contains("--kind free (the default) leaves it out"), "\(noKind.stderr)")
        let twice = try proscore(["probe", a, a, "--targets", "total"])
        #expect(twice.status != 0 && twice.stderr.contains("utterance a0 is in both"), "\(twice.stderr)")
    }

    @Test("train refuses labels off the 0–10 scale and targets a head cannot predict, and says when speakers or labels are missing")
    func labelsAndSpeakers() throws {
        let audio = try makeRecording()
        func folder(_ lines: [String]) throws -> String {
            let out = scratch("f")
            let r = try proscore(["extract", try manifest(lines), "--model", layerNormModel, "--out", out])
            #expect(r.status == 0, "\(r.stderr)")
            return out
        }
        let percent = try folder((0..<4).map { #"{"id": "p\#($0)", "audio": "\#(audio)", "speaker": "s\#($0 % 2)", "labels": {"total": \#(40 + 10 * $0)}}"# })
        let p = try proscore(["train", percent, "--targets", "total", "--fluency-only", "--out", scratch("p.json")])
        #expect(p.status != 0 && p.stderr.contains("outside 0–10 (up to 70)"), "\(p.stderr)")

        let c = try proscore(["train", percent, "--targets", "completeness,total", "--out", scratch("c.json")])
        #expect(c.status != 0 && c.stderr.contains("--targets completeness"), "\(c.stderr)")

        let anonymous = try folder((0..<4).map { i -> String in
            let labels = i == 3 ? #"{"total": 6}"# : #"{"total": \#(4 + i), "fluency": 5}"#
            return #"{"id": "n\#(i)", "audio": "\#(audio)", "labels": \#(labels)}"#
        })
        let e = try proscore(["evaluate", anonymous, "--targets", "fluency,total", "--fluency-only", "--folds", "2"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stderr.contains("4 utterances have no \"speaker\""), "\(e.stderr)")
        #expect(e.stderr.contains("1 of 4 utterances lack a label for one of fluency, total"), "\(e.stderr)")
        // Misspelt keys and label names are named when extracting, not silently left out.
        let misspelt = try manifest((0..<2).map { #"{"id": "m\#($0)", "audio": "\#(audio)", "speakr": "s", "labels": {"fluncy": 7, "total": 6}}"# },
                                    name: "misspelt.jsonl")
        let m = try proscore(["extract", misspelt, "--model", layerNormModel, "--out", scratch("m")])
        #expect(m.status == 0 && m.stderr.contains("keys nothing reads, left out: speakr (2 lines)")
                && m.stderr.contains("labels no head can be trained on: fluncy (2 lines)"), "\(m.stderr)")
        // The manifest given where its features belong.
        let onManifest = try proscore(["evaluate", misspelt, "--targets", "total"])
        #expect(onManifest.status != 0 && onManifest.stderr.contains("(a manifest?); give the feature folder that `proscore extract"), "\(onManifest.stderr)")
        let typo = try proscore(["probe", scratch("m"), "--targets", "acuracy"])
        #expect(typo.status != 0 && typo.stderr.contains("--targets acuracy: not a score a head predicts"), "\(typo.stderr)")
        let json = try proscore(["evaluate", anonymous, "--targets", "fluency,total", "--fluency-only", "--folds", "2", "--json"])
        let counts = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(counts?["utterances"] as? Int == 3 && counts?["speakers"] as? Int == 3 && counts?["folds"] as? Int == 2, "\(json.stdout)")
    }

    @Test("offline text features are BERT's reading of what was said (the transcript), and each file names its fluency columns")
    func offlineTextReadsTheTranscript() throws {
        let out = scratch("offline")
        let r = try proscore(["extract", try spoken(), "--offline", "--model", layerNormModel, "--text-model", checkout + "/models/all-minilm-l6-v2", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try SafeTensorsFile(path: out + "/features/u0.safetensors")
        #expect(file.metadata["text_source"] == "transcript" && file.entries["text_pooled"] != nil, "\(file.metadata)")
        let columns = try #require(file.metadata["fluency_names"]).split(separator: ",")
        #expect(columns.count == (try file.tensor("fluency")).scalars.count)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/extraction.json"))) as? [String: Any]
        #expect(record?["text_source"] as? String == "transcript")
    }

    @Test("extract refuses options that do not apply to its path instead of ignoring them")
    func optionsOfTheOtherPath() throws {
        let list = try manifest([#"{"id": "a", "audio": "\#(try makeRecording())", "speaker": "s", "labels": {"total": 5}}"#])
        for options in [["--float16"], ["--layers", "0,2"], ["--sequential"]] {
            let r = try proscore(["extract", list, "--model", layerNormModel, "--out", scratch("f")] + options)
            #expect(r.status != 0 && r.stderr.contains("belong to --offline extraction"), "\(options): \(r.stderr)")
        }
        for options in [["--read-aloud"], ["--preset", "low-latency"]] {
            let r = try proscore(["extract", list, "--offline", "--model", layerNormModel, "--out", scratch("f")] + options)
            #expect(r.status != 0 && r.stderr.contains("belong to the serving path"), "\(options): \(r.stderr)")
        }
        let out = scratch("f")
        let layers = try proscore(["extract", list, "--offline", "--model", layerNormModel, "--layers", "2,2,0", "--out", out])
        #expect(layers.status == 0, "\(layers.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/extraction.json"))) as? [String: Any]
        #expect(record?["layers"] as? [Int] == [0, 2], "each layer once, in order: \(String(describing: record))")
        // It says what offline features are: the whole recording, not the speaker's extent as serving pools.
        #expect((record?["features_version"] as? String)?.contains("offline, pooled layers and fluency measures over the whole recording") == true,
                "\(String(describing: record))")
    }

    @Test("a head records the model and the feature path it was trained on; another model of the same shape, or offline features, are refused at scoring")
    func headProvenance() throws {
        let list = try spoken()
        let serving = scratch("serving"), offline = scratch("offline")
        // From another folder: the model is recorded relative to the installation, its fingerprint taken where it is.
        #expect(try proscore(["extract", list, "--model", layerNormModel, "--out", serving], in: NSTemporaryDirectory()).status == 0)
        #expect(try proscore(["extract", list, "--offline", "--model", layerNormModel, "--out", offline]).status == 0)
        let head = scratch("head.json"), offlineHead = scratch("offline-head.json")
        #expect(try proscore(["train", serving, "--targets", "total", "--folds", "2", "--out", head]).status == 0)
        #expect(try proscore(["train", offline, "--targets", "total", "--folds", "2", "--out", offlineHead]).status == 0)
        // Features asked for and not extracted are an error, not a head that records what it never read.
        let noText = try proscore(["train", offline, "--targets", "total", "--folds", "2", "--with-text", "--out", scratch("text-head.json")])
        #expect(noText.status != 0 && noText.stderr.contains("no BERT text features for --with-text: extract with --text-model"), "\(noText.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch("text-head.json")))
        // A free-speech head cannot read the reference's evidence; probe has no use for named features.
        let freeWithEvidence = try proscore(["train", serving, "--kind", "free", "--features", "speech_rate,completeness", "--out", scratch("fc.json")])
        #expect(freeWithEvidence.status != 0 && freeWithEvidence.stderr.contains("completeness: read-aloud evidence"), "\(freeWithEvidence.stderr)")
        let probeText = try proscore(["probe", offline, "--with-text", "--targets", "total"])
        #expect(probeText.status != 0 && probeText.stderr.contains("--with-text: probe fits each encoder layer alone"), "\(probeText.stderr)")
        let description = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: head))) as? [String: Any]
        let encoder = try #require(description?["encoder"] as? String)
        #expect(layerNormModel.hasSuffix(encoder) && description?["feature_path"] as? String == "serving", "\(encoder)")
        let fingerprint = try #require(description?["encoder_fingerprint"] as? String)
        #expect(fingerprint.count == 16 && fingerprint != "cbf29ce484222325", "the fingerprint of nothing: \(fingerprint)")

        // The same weights under another config.json: the shapes fit, the model is not the one.
        let other = scratch("other-model")
        try FileManager.default.copyItem(atPath: layerNormModel, toPath: other)
        let config = other + "/config.json"
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let audio = try SynthesisedSpeech.espeak("hello there", rate: 140, to: scratch("hello.wav"))
        let own = try proscore(["score", audio, "--model", layerNormModel, "--head", head])
        #expect(own.status == 0, "\(own.stderr)")
        let foreign = try proscore(["score", audio, "--model", other, "--head", head])
        #expect(foreign.status != 0 && foreign.stderr.contains("was trained on the features of \(encoder)"), "\(foreign.stderr)")
        let offlineScored = try proscore(["score", audio, "--model", layerNormModel, "--head", offlineHead])
        #expect(offlineScored.status != 0 && offlineScored.stderr.contains("trained on offline features"), "\(offlineScored.stderr)")
    }
}
