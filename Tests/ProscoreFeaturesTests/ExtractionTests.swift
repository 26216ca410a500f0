import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscoreScoring
import Testing
@testable import ProscoreFeatures

let repositoryRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
}()
let encoderFixture = repositoryRoot.appendingPathComponent("Tests/ProscoreModelsTests/Fixtures/encoders/wav2vec2-base-ctc").path
let speechocean = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/speechocean762").path

func folder() -> String {
    let dir = NSTemporaryDirectory() + "proscore-features-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func tone(_ path: String, seconds: Double, frequency: Double) throws {
    let samples = (0..<Int(seconds * 16_000)).map { Float(0.3 * sin(2 * .pi * frequency * Double($0) / 16_000)) }
    try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
}

@Suite("feature data sets")
struct ExtractionTests {
    @Test("a JSON-lines manifest resolves relative audio paths and reports a bad line by number")
    func manifest() throws {
        let dir = folder()
        try """
            {"id": "a", "audio": "a.wav", "speaker": "s1", "text": "HELLO", "labels": {"total": 7}}
            {"id": "b", "audio": "/abs/b.wav"}
            """.write(toFile: dir + "/m.jsonl", atomically: true, encoding: .utf8)
        let entries = try Manifest.load(path: dir + "/m.jsonl")
        #expect(entries.map(\.audio) == [dir + "/a.wav", "/abs/b.wav"])
        #expect(entries[0].labels == ["total": 7])
        try "{\"id\": \"a\"}\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        #expect {
            _ = try Manifest.load(path: dir + "/bad.jsonl")
        } throws: { "\($0)".contains("line 1") }
        // Every bad line at once, so that one run shows what to mend.
        try "{\"id\": \"a\"}\n{\"id\": \"b\", \"audio\": \"b.wav\"}\n{\"id\": \"b\", \"audio\": \"c.wav\"}\nnot json\n"
            .write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        #expect {
            _ = try Manifest.load(path: dir + "/bad.jsonl")
        } throws: {
            let text = "\($0)"
            return text.contains("3 lines cannot be used") && text.contains("line 1 is not") && text.contains("line 3 has the id \"b\" of line 2")
                && text.contains("line 4 is not")
        }
    }

    @Test("a manifest and a references file saved with Windows line ends (as spreadsheets save them) read line by line")
    func windowsLineEnds() throws {
        let dir = folder()
        try "{\"id\": \"a\", \"audio\": \"a.wav\"}\r\n{\"id\": \"b\", \"audio\": \"b.wav\"}\r\n"
            .write(toFile: dir + "/m.jsonl", atomically: true, encoding: .utf8)
        #expect(try Manifest.load(path: dir + "/m.jsonl").map(\.id) == ["a", "b"])
        let table = try ReferenceTable(text: "a\tHello there\r\nb\tGood morning\r\n", file: dir + "/refs.tsv")
        #expect(table.texts == ["Hello there", "Good morning"] && table.lineNumbers == [1, 2])
        #expect(table.line(for: ManifestEntry(id: "b", audio: dir + "/elsewhere/b.wav")) == 1)
        // A recording in a learner's subfolder (its id "Maria/a") is found by its file's name too.
        #expect(table.line(for: ManifestEntry(id: "Maria/a", audio: dir + "/Maria/a.flac")) == 0)
    }

    @Test("the speechocean762 layout is read directly", .enabled(if: FileManager.default.fileExists(atPath: speechocean + "/train/wav.scp")))
    func speechocean762() throws {
        let entries = try Manifest.load(path: speechocean)
        #expect(entries.count == 2500)
        #expect(Set(entries.compactMap(\.speaker)).count == 125)
        let first = try #require(entries.first { $0.id == "000010011" })
        #expect(first.text == "WE CALL IT BEAR")
        #expect(first.labels["total"] == 8 && first.labels["fluency"] == 9)
        #expect(FileManager.default.fileExists(atPath: first.audio))
    }

    @Test("extraction writes pooled features and an index, skips a bad file, and resumes")
    func extract() throws {
        let dir = folder()
        for (i, f) in [220.0, 330, 440].enumerated() { try tone(dir + "/u\(i).wav", seconds: 1 + Double(i) * 0.25, frequency: f) }
        _ = FileManager.default.createFile(atPath: dir + "/broken.wav", contents: Data("not audio".utf8))
        let entries = (0..<3).map { ManifestEntry(id: "u\($0)", audio: dir + "/u\($0).wav", speaker: "s\($0 % 2)", labels: ["total": Double($0)]) }
            + [ManifestEntry(id: "broken", audio: dir + "/broken.wav")]
        let loaded = try AudioEncoderLoader.load(path: encoderFixture)
        var options = ExtractionOptions()
        options.layers = [0, 3]
        options.sequential = true
        let extractor = FeatureExtractor(encoder: loaded.encoder, vocabulary: try CTCVocabulary(path: encoderFixture + "/vocab.json"),
                                         text: nil, options: options)
        let out = dir + "/features-out"
        let first = try extractor.run(entries, into: out)
        #expect(first.written == 3 && first.skipped == 0)
        #expect(first.failures.map(\.id) == ["broken"])
        let index = FeatureExtractor.readIndex(out + "/index.jsonl")
        #expect(index.map(\.id) == ["u0", "u1", "u2"])
        #expect(index[1].labels == ["total": 1] && index[1].transcript != nil)
        let file = try SafeTensorsFile(path: out + "/" + index[2].file)
        #expect(try file.tensor("pooled").shape == [2, 32])
        #expect(try file.tensor("hidden_states").shape == [2, index[2].frames, 32])
        // Pooled = mean of the sequential frames.
        let seq = try file.tensor("hidden_states"), pooled = try file.tensor("pooled")
        let mean0 = (0..<index[2].frames).reduce(Float(0)) { $0 + seq.scalars[$1 * 32] } / Float(index[2].frames)
        #expect(abs(mean0 - pooled.scalars[0]) < 1e-4)

        // Utterance fluency features: all of it loud (a tone), so all phonation and no pauses.
        let fluency = try file.tensor("fluency").scalars
        #expect(fluency.count == FeatureExtractor.fluencyFeatureNames.count)
        #expect(fluency[2] == 1 && fluency[4] == 0)

        let again = try extractor.run(entries, into: out)
        #expect(again.written == 0 && again.skipped == 3 && again.failures.count == 1)
        #expect(FeatureExtractor.readIndex(out + "/index.jsonl").count == 3)
    }
}

@Suite("train, probe and evaluate on an extracted folder", .serialized)
struct HeadCommandTests {
    /// 12 speakers × 3 tones each; the label follows the tone's frequency.
    func extracted() throws -> String {
        let dir = folder()
        var entries: [ManifestEntry] = []
        for s in 0..<12 {
            for u in 0..<3 {
                let f = 150 + Double((s * 3 + u) % 9) * 60
                let path = dir + "/s\(s)u\(u).wav"
                try tone(path, seconds: 0.8, frequency: f)
                entries.append(ManifestEntry(id: "s\(s)u\(u)", audio: path, speaker: "s\(s)",
                                             labels: ["total": (f - 150) / 60, "fluency": 5]))
            }
        }
        let loaded = try AudioEncoderLoader.load(path: encoderFixture)
        _ = try FeatureExtractor(encoder: loaded.encoder, vocabulary: nil, text: nil, options: ExtractionOptions())
            .run(entries, into: dir + "/features")
        return dir + "/features"
    }

    @Test("a trained head round-trips through its files and predicts the same scores")
    func headFiles() throws {
        let features = try extracted()
        let (examples, layers) = try FeatureDataset.load(folder: features)
        #expect(examples.count == 36 && layers == [0, 1, 2, 3])
        let head = HeadTraining.train(examples, layers: layers, targets: ["total", "fluency"])
        let path = folder() + "/head.json"
        try HeadFile.write(head, encoder: encoderFixture, training: ["examples": "36"], to: path)
        let (back, encoder, _) = try HeadFile.read(path: path)
        #expect(encoder == encoderFixture)
        #expect(back.targets == head.targets && back.layers == head.layers)
        for e in examples.prefix(5) {
            let a = head.predict(pooled: e.pooled), b = back.predict(pooled: e.pooled)
            #expect(abs(a["total"]! - b["total"]!) < 1e-3)
        }
        // Tones carry their frequency: held-out speakers are predicted well above chance.
        let agreement = HeadTraining.evaluate(examples, layers: layers, targets: ["total"], folds: 4)
        #expect(agreement["total"]!.pearson > 0.5)
    }

    @Test("a head file that is missing or broken is a clear error")
    func badHead() throws {
        #expect(throws: HeadFileError.self) { _ = try HeadFile.read(path: "/nonexistent/head.json") }
        let path = folder() + "/broken.json"
        try "{}".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: HeadFileError.self) { _ = try HeadFile.read(path: path) }
        // A head copied without its weights names the missing file, not a model directory.
        let lonely = folder() + "/lonely.json"
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("configs/heads/fluency.json").path, toPath: lonely)
        #expect { _ = try HeadFile.read(path: lonely) } throws: { "\($0)".contains("lonely.safetensors") && "\($0)".contains("copy both") }
    }
}

@Suite("validity of the shipped fluency head")
struct HeadValidityTests {
    let head = try! HeadFile.read(path: repositoryRoot.appendingPathComponent("configs/heads/fluency.json").path).head
    let analyzer = FluencyAnalyzer(syllableCounter: SyllableCounter())
    let sentence = ["EVERY", "MORNING", "I", "READ", "THE", "NEWS", "AND", "THEN", "I", "WALK", "TO", "WORK"]

    /// Fluency estimate for the sentence with `pause` s of silence after each word, `fillers`
    /// "UM"s inserted, and each word lasting `wordSeconds`.
    func fluency(pause: Double = 0.1, fillers: Int = 0, wordSeconds: Double = 0.3) -> Double {
        var items: [(String, Double, Double)] = []
        var t = 0.2
        for (i, w) in sentence.enumerated() {
            if i > 0 && i <= fillers { items.append(("UM", t, t + 0.4)); t += 0.4 + pause }
            items.append((w, t, t + wordSeconds))
            t += wordSeconds + pause
        }
        var speech = [Bool](repeating: false, count: Int((t + 0.2) / 0.02))
        for (_, s, e) in items { for f in Int(s / 0.02)..<Int(e / 0.02) { speech[f] = true } }
        let m = analyzer.measure(speech: speech, words: items.map { TimedWord(text: $0.0, startSeconds: $0.1, endSeconds: $0.2) })
        // The signal as serving would see it: loud, voiced speech frames (a gently moving
        // pitch, syllable-like swells) and silent pauses.
        let energy = speech.indices.map { f -> Float in speech[f] ? -20 + 6 * Float(sin(Double(f) * 0.9)) : -80 }
        let f0 = speech.indices.map { f -> Float in speech[f] ? Float(120 + 10 * sin(Double(f) * 0.1)) : 0 }
        let signal = SignalAnalyzer().measure(speech: speech, energyDb: energy, f0Hz: f0)
        let named = WindowFeatures.named(fluency: m, signal: signal, readAloud: nil)
        return head.predict(pooled: [], extras: head.extraFeatures.map { named[$0] ?? 0 })["fluency"]!
    }

    @Test("inserting silent pauses lowers the fluency estimate monotonically")
    func pauses() {
        let values = [0.05, 0.3, 0.6, 1.0, 1.5].map { fluency(pause: $0) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 > $1 }, "\(values)")
    }

    @Test("inserting filled pauses lowers the fluency estimate monotonically")
    func filledPauses() {
        let values = [0, 2, 4, 6].map { fluency(fillers: $0) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 > $1 }, "\(values)")
    }

    @Test("slowing the speech lowers the fluency estimate monotonically")
    func slowing() {
        let values = [0.25, 0.4, 0.6, 0.9].map { fluency(wordSeconds: $0) }
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 > $1 }, "\(values)")
    }
}
