import Foundation
import ProscoreAudio
import Testing

/// What the research commands and the setup refuse, because the result would look valid
/// and mean nothing: utterances that share an id, read-aloud heads without a reference,
/// cross-validation without speakers to fold; and that the defaults work from any folder.
@Suite("care in research commands and setup", .serialized)
struct ResearchAndSetupCareTests {

    func manifest(_ lines: [String]) throws -> String {
        let path = scratch("m.jsonl")
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a manifest with one id twice, or an id that is no file name, is refused before anything is written")
    func manifestIDs() throws {
        let audio = try makeRecording()
        let twice = try manifest([#"{"id": "d1", "audio": "\#(audio)", "speaker": "a", "labels": {"total": 5}}"#,
                                  #"{"id": "d2", "audio": "\#(audio)", "speaker": "a", "labels": {"total": 6}}"#,
                                  #"{"id": "d1", "audio": "\#(audio)", "speaker": "b", "labels": {"total": 9}}"#])
        let out = scratch("features")
        let r = try proscore(["extract", twice, "--model", layerNormModel, "--out", out])
        #expect(r.status != 0 && r.stderr.contains("line 3 has the id \"d1\" of line 1"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        for id in ["../outside", "sub/inner", ".hidden"] {
            let odd = try manifest([#"{"id": "\#(id)", "audio": "\#(audio)", "speaker": "a", "labels": {"total": 5}}"#])
            let e = try proscore(["extract", odd, "--model", layerNormModel, "--out", out])
            #expect(e.status != 0 && e.stderr.contains("cannot name a file"), "\(id): \(e.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("train, evaluate and probe refuse what they cannot fit or fold: free features as read-aloud, one speaker, no layers")
    func fittingGuards() throws {
        let audio = try makeRecording()
        let features = scratch("free")
        let list = try manifest((0..<4).map { #"{"id": "u\#($0)", "audio": "\#(audio)", "speaker": "s\#($0 % 2)", "labels": {"total": \#($0 + 4)}}"# })
        #expect(try proscore(["extract", list, "--model", layerNormModel, "--out", features]).status == 0)

        let readAloud = try proscore(["train", features, "--kind", "read-aloud", "--targets", "total", "--out", scratch("h.json")])
        #expect(readAloud.status != 0 && readAloud.stderr.contains("without --read-aloud") && readAloud.stderr.contains("completeness"),
                "\(readAloud.stderr)")
        let evaluated = try proscore(["evaluate", features, "--kind", "read-aloud", "--targets", "total", "--fluency-only"])
        #expect(evaluated.status != 0 && evaluated.stderr.contains("without --read-aloud"), "\(evaluated.stderr)")

        // Two speakers: five folds would leave three empty; it runs with two and says so.
        let two = try proscore(["evaluate", features, "--targets", "total", "--fluency-only"])
        #expect(two.status == 0 && two.stdout.contains("2 speakers, 2 folds by speaker"), "\(two.stdout)\(two.stderr)")

        let probe = try proscore(["probe", features, "--targets", "total", "--fluency-only"])
        #expect(probe.status != 0 && probe.stderr.contains("no encoder layers"), "\(probe.stdout)\(probe.stderr)")

        let alone = scratch("alone")
        let one = try manifest((0..<3).map { #"{"id": "u\#($0)", "audio": "\#(audio)", "speaker": "s", "labels": {"total": \#($0 + 4)}}"# })
        #expect(try proscore(["extract", one, "--model", layerNormModel, "--out", alone]).status == 0)
        for command in ["evaluate", "probe"] {
            let r = try proscore([command, alone, "--targets", "total"])
            #expect(r.status != 0 && r.stderr.contains("at least 2 speakers"), "\(command): \(r.stdout)\(r.stderr)")
        }
        let head = scratch("one.json")
        let train = try proscore(["train", alone, "--targets", "total", "--fluency-only", "--out", head])
        #expect(train.status != 0 && train.stderr.contains("at least 2 speakers") && !FileManager.default.fileExists(atPath: head))
    }

    @Test("a read-aloud head given as --head is refused: sessions without a reference would read its evidence as zeros")
    func readAloudHeadAsFreeHead() throws {
        let audio = try makeRecording()
        let readAloudHead = checkout + "/configs/heads/fluency-read-aloud.json"
        let r = try proscore(["score", audio, "--model", layerNormModel, "--head", readAloudHead])
        #expect(r.status != 0 && r.stderr.contains("is a read-aloud head") && r.stderr.contains("--read-aloud-head"), "\(r.stderr)")
        let right = try proscore(["score", audio, "--model", layerNormModel, "--read-aloud-head", readAloudHead, "--reference", "we call it bear"])
        #expect(right.status == 0, "\(right.stderr)")
    }

    @Test("a refusal while running says what to do without the usage text under it")
    func refusalsWithoutUsage() throws {
        let audio = try makeRecording()
        let existing = scratch("x.safetensors")
        try "mine".write(toFile: existing, atomically: true, encoding: .utf8)
        let r = try proscore(["encode", fixtureModel, audio, "--out", existing])
        #expect(r.status == 64 && r.stderr.hasPrefix("Error: ") && r.stderr.contains("--overwrite") && !r.stderr.contains("Usage"), "\(r.stderr)")
        // A mistyped command line still shows the command's usage.
        let typo = try proscore(["encode", fixtureModel, audio, "--outt", existing])
        #expect(typo.status != 0 && typo.stderr.contains("Usage"), "\(typo.stderr)")
    }

    @Test("visualize refuses audio too short for one frame per unit instead of drawing nothing")
    func visualizeShortAudio() throws {
        // 1,000 samples are 2 frames: enough for 2 units, not for 8, and a shorter file has no frame at all.
        let path = scratch("short.wav")
        try SoundFileWriter.write((0..<1_000).map { 0.3 * sin(Float($0) * 0.1) }, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        let eight = try proscore(["visualize", path, "--model", fixtureModel, "--layer", "1", "--units", "8", "--out", scratch("eight.svg")])
        #expect(eight.status != 0 && eight.stderr.contains("8 units needs at least 0.17 s"), "\(eight.stdout)\(eight.stderr)")
        let two = try proscore(["visualize", path, "--model", fixtureModel, "--layer", "1", "--units", "2", "--out", scratch("two.svg")])
        #expect(two.status == 0 && two.stdout.contains("2 frames"), "\(two.stdout)\(two.stderr)")
        let tiny = scratch("tiny.wav")
        try SoundFileWriter.write([Float](repeating: 0.1, count: 320), channels: 1, sampleRate: 16_000, format: .wav16, to: tiny)
        let none = try proscore(["visualize", tiny, "--model", fixtureModel, "--layer", "1", "--units", "2", "--out", scratch("tiny.svg")])
        #expect(none.status != 0 && none.stderr.contains("needs at least"), "\(none.stdout)\(none.stderr)")
    }

    @Test("the defaults (preset, model, heads) are found from any folder, not only the checkout")
    func runsFromAnyFolder() throws {
        let elsewhere = (scratch("x") as NSString).deletingLastPathComponent
        let audio = checkout + "/recordings/anna-morning.flac"
        let r = try proscore(["score", audio, "--format", "jsonl"], in: elsewhere)
        #expect(r.status == 0, "\(r.stderr)")
        let row = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(((row?["scores"] as? [String: Any])?["total"] as? Double) != nil, "scored with the default heads: \(r.stdout)")
        // Proscore's own files named relatively (a preset, a head) are found there too.
        let named = try proscore(["score", audio, "--preset", "configs/accurate.json", "--head", "configs/heads/fluency.json"], in: elsewhere)
        #expect(named.status == 0, "\(named.stderr)")
        // PROSCORE_HOME names the installation: the checkout works, a folder without the defaults is said to lack them.
        let home = try proscore(["score", audio], environment: ["PROSCORE_HOME": checkout], in: elsewhere)
        #expect(home.status == 0, "\(home.stderr)")
        let empty = try proscore(["score", audio], environment: ["PROSCORE_HOME": elsewhere], in: elsewhere)
        #expect(empty.status != 0 && empty.stderr.contains("configs/balanced.json"), "\(empty.stderr)")
    }
}
