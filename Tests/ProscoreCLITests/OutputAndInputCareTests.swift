import Foundation
import ProscoreAudio
import ProscorePipeline
import Testing

/// What a user's files are owed: no command replaces a file it did not make unless asked,
/// none turns a folder into a file, and input that cannot mean what the user meant is said.
@Suite("care for the user's files and input", .serialized)
struct OutputAndInputCareTests {

    /// A folder with a file in it, standing where a command's output would go.
    func folderWithContents() throws -> String {
        let folder = scratch("results")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/take.wav", withIntermediateDirectories: true)
        try "keep".write(toFile: folder + "/sub/keep.txt", atomically: true, encoding: .utf8)
        return folder
    }

    @Test("--out naming a folder is refused even with --overwrite, and the folder keeps what was in it")
    func folderIsNeverReplaced() throws {
        let folder = try folderWithContents()
        let audio = try makeRecording()
        for args in [["score", audio, "--model", layerNormModel, "--out", folder, "--overwrite"],
                     ["encode", fixtureModel, audio, "--out", folder, "--overwrite"],
                     ["record", "--file", audio, "--speed", "max", "--out", folder + "/take.wav", "--overwrite"]] {
            let r = try proscore(args)
            #expect(r.status != 0 && r.stderr.contains("folder"), "\(args[0]): \(r.stderr)")
        }
        #expect(try String(contentsOfFile: folder + "/sub/keep.txt", encoding: .utf8) == "keep")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(left.sorted() == ["sub", "take.wav"], "nothing is left beside the folder's contents: \(left)")
    }

    @Test("an --out that is a symbolic link is written through: the file it points to is written, the link stays")
    func linksWrittenThrough() throws {
        let audio = try makeRecording()
        let real = scratch("real.safetensors")
        try "mine".write(toFile: real, atomically: true, encoding: .utf8)
        let link = (real as NSString).deletingLastPathComponent + "/link.safetensors"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.safetensors")
        let kept = try proscore(["encode", fixtureModel, audio, "--out", link])
        #expect(kept.status != 0 && kept.stderr.contains("--overwrite"), "\(kept.stderr)")
        #expect(FileManager.default.contents(atPath: real) == Data("mine".utf8))
        let replaced = try proscore(["encode", fixtureModel, audio, "--out", link, "--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real.safetensors")
        #expect(FileManager.default.contents(atPath: real).map { $0 != Data("mine".utf8) && $0.count > 100 } == true)
        // A link to a file not yet there: the file appears at the link's end.
        let scores = scratch("scores.csv"), csvLink = scratch("latest.csv")
        try FileManager.default.createSymbolicLink(atPath: csvLink, withDestinationPath: scores)
        let scored = try proscore(["score", audio, "--model", layerNormModel, "--format", "csv", "--out", csvLink])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: csvLink) == scores)
        #expect(try String(contentsOfFile: scores, encoding: .utf8).hasPrefix("id,"))
    }

    @Test("encode, visualize, train and tune keep an existing file unless --overwrite")
    func existingFilesKept() throws {
        let audio = try makeRecording()
        func existing(_ name: String) throws -> String {
            let path = scratch(name)
            try "mine".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let encoded = try existing("mine.safetensors"), picture = try existing("mine.svg"), preset = try existing("mine.json")
        let cases: [(args: [String], file: String)] = [
            (["encode", fixtureModel, audio, "--out", encoded], encoded),
            (["visualize", audio, "--model", fixtureModel, "--layer", "2", "--out", picture], picture),
            (["tune", audio, "--model", fixtureModel, "--chunk-ms", "200", "--left-ms", "400", "--lookahead-ms", "0", "--reuse", "on",
              "--write", preset], preset),
        ]
        for (args, file) in cases {
            let r = try proscore(args)
            #expect(r.status != 0 && r.stderr.contains("--overwrite"), "\(args[0]): \(r.stderr)")
            #expect(FileManager.default.contents(atPath: file) == Data("mine".utf8), "\(args[0]) left \(file) as it was")
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file)
            let again = try proscore(args + ["--overwrite"])
            #expect(again.status == 0, "\(args) --overwrite: \(again.stderr)")
            #expect(FileManager.default.contents(atPath: file) != Data("mine".utf8))
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            if args[0] == "visualize" { #expect(mode == 0o640, "a replaced file keeps its permissions") }
            if args[0] == "tune" { #expect(again.stderr.contains("wrote \(file)\n"), "\(again.stderr)") }
        }
        // train: the head's weights beside its JSON are the user's too.
        let manifest = scratch("m.jsonl")
        try (0..<4).map { #"{"id": "u\#($0)", "audio": "\#(audio)", "speaker": "s\#($0)", "labels": {"total": \#($0 + 4)}}"# }
            .joined(separator: "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        let features = scratch("features")
        #expect(try proscore(["extract", manifest, "--model", layerNormModel, "--out", features]).status == 0)
        let head = scratch("head.json")
        try "mine".write(toFile: (head as NSString).deletingPathExtension + ".safetensors", atomically: true, encoding: .utf8)
        let train = try proscore(["train", features, "--kind", "free", "--fluency-only", "--targets", "total", "--folds", "2", "--out", head])
        #expect(train.status != 0 && train.stderr.contains("--overwrite") && !FileManager.default.fileExists(atPath: head))
        #expect(FileManager.default.contents(atPath: (head as NSString).deletingPathExtension + ".safetensors") == Data("mine".utf8))
        let trained = try proscore(["train", features, "--kind", "free", "--fluency-only", "--targets", "total", "--folds", "2",
                                    "--out", head, "--overwrite"])
        #expect(trained.status == 0 && trained.stdout.contains("named features only"), "\(trained.stdout)\(trained.stderr)")
        #expect(try String(contentsOfFile: head, encoding: .utf8).contains("any CTC encoder (features only)"))
        let text = scratch("head.txt")
        let misnamed = try proscore(["train", features, "--kind", "free", "--fluency-only", "--targets", "total", "--folds", "2", "--out", text])
        #expect(misnamed.status != 0 && misnamed.stderr.contains("give a name ending in .json"), "\(misnamed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: (text as NSString).deletingPathExtension + ".json"))
    }

    @Test("score --references finds a recording however its path is written, and says which lines and files found nothing")
    func referencesMatchPaths() throws {
        let audio = try makeRecording()
        let folder = (audio as NSString).deletingLastPathComponent
        let references = scratch("refs.tsv")
        // The same file named another way, a line for no recording, and a comment.
        try "# class 3\n\(folder)/./glide.wav\tWe call it bear\n/nowhere/else.wav\tHello there\n"
            .write(toFile: references, atomically: true, encoding: .utf8)
        let r = try proscore(["score", audio, "--model", layerNormModel, "--references", references, "--format", "jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(row["completeness"] != nil && !(row["completeness"] is NSNull), "scored as a reading: \(row)")
        #expect(row["reference"] as? String == "We call it bear", "the row names what it was scored against: \(row)")
        #expect(r.stderr.contains("line 3 (/nowhere/else.wav)") && r.stderr.contains("fits none of the recordings"), "\(r.stderr)")

        // A references file beside the recordings names them relative to itself, as a manifest does.
        let beside = folder + "/refs.tsv"
        try "glide.wav\tWe call it bear\n".write(toFile: beside, atomically: true, encoding: .utf8)
        let relative = try proscore(["score", audio, "--model", layerNormModel, "--references", beside])
        #expect(relative.status == 0 && !relative.stderr.contains("warning"), "\(relative.stderr)")
        let csv = relative.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let referenceColumn = try #require(csv.first?.firstIndex(of: "reference"))
        #expect(csv.count == 2 && csv[1][referenceColumn] == "We call it bear", "\(relative.stdout)")

        try "glide.wav\tWe call it bear\t7\n".write(toFile: references, atomically: true, encoding: .utf8)
        let columns = try proscore(["score", audio, "--model", layerNormModel, "--references", references])
        #expect(columns.status != 0 && columns.stderr.contains("3 columns"), "\(columns.stderr)")

        try "glide.wav We call it bear\n".write(toFile: references, atomically: true, encoding: .utf8)
        let spaces = try proscore(["score", audio, "--model", layerNormModel, "--references", references])
        #expect(spaces.status != 0 && spaces.stderr.contains("line 1") && spaces.stderr.contains("tab"), "\(spaces.stderr)")

        try "other.wav\tWe call it bear\n".write(toFile: references, atomically: true, encoding: .utf8)
        let none = try proscore(["score", audio, "--model", layerNormModel, "--references", references])
        #expect(none.status == 0 && none.stderr.contains("\(audio): no line in \(references), scored as free speech"), "\(none.stderr)")
    }

    @Test("a reference without words and --read-aloud without a manifest are refused with what to do")
    func meaninglessReferences() throws {
        let audio = try makeRecording()
        for args in [["replay", audio, "--model", layerNormModel, "--no-store", "--reference", "   "],
                     ["score", audio, "--model", layerNormModel, "--reference", "— !!"]] {
            let r = try proscore(args)
            #expect(r.status != 0 && r.stderr.contains("--reference has no words"), "\(args[0]): \(r.stderr)")
        }
        let r = try proscore(["score", audio, "--model", layerNormModel, "--read-aloud"])
        #expect(r.status != 0 && r.stderr.contains("--read-aloud takes the texts of a manifest"), "\(r.stderr)")
    }

    @Test("score DIR scores every recording in the folder and its subfolders")
    func folderOfRecordings() throws {
        let audio = try makeRecording()
        let folder = scratch("class")
        try FileManager.default.createDirectory(atPath: folder + "/anna", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: audio, toPath: folder + "/anna/monday.wav")
        try FileManager.default.copyItem(atPath: audio, toPath: folder + "/ben.wav")
        try FileManager.default.copyItem(atPath: audio, toPath: folder + "/carl.wav")
        try FileManager.default.copyItem(atPath: audio, toPath: folder + "/carl.flac")
        try "notes".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
        let r = try proscore(["score", folder, "--model", layerNormModel, "--format", "jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = r.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(ids == ["anna/monday", "ben", "carl.flac", "carl.wav"], "ids are unique: \(ids)")
        // Files of one name in two folders, named one by one, keep their folders in their ids.
        let twice = try proscore(["score", folder + "/anna/monday.wav", folder + "/ben.wav", audio, "--model", layerNormModel,
                                  "--format", "jsonl"])
        let named = twice.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(named == ["monday", "ben", "glide"], "\(named)")
        let empty = scratch("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let e = try proscore(["score", empty, "--model", layerNormModel])
        #expect(e.status != 0 && e.stderr.contains("no recordings in it"), "\(e.stderr)")
    }

    @Test("extract resumes only with the settings it started with, and its exit status says when files failed")
    func extractResumesWithItsSettings() throws {
        let audio = try makeRecording()
        let manifest = scratch("m.jsonl")
        try [#"{"id": "a", "audio": "\#(audio)", "text": "we call it bear"}"#, #"{"id": "b", "audio": "/nonexistent/b.wav"}"#]
            .joined(separator: "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        let out = scratch("features")
        let first = try proscore(["extract", manifest, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(first.status == 2 && first.stdout.contains("1 failed"), "\(first.stdout)\(first.stderr)")
        let other = try proscore(["extract", manifest, "--model", layerNormModel, "--out", out])
        #expect(other.status != 0 && other.stderr.contains("read_aloud true, now false"), "\(other.stderr)")
        let same = try proscore(["extract", manifest, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(same.status == 2 && same.stdout.contains("1 already there"), "\(same.stdout)\(same.stderr)")
        // The preset is recorded as the settings it resolved to: the same file named another way resumes.
        let preset = SessionBuilder.defaultPreset
        let renamed = try proscore(["extract", manifest, "--model", layerNormModel, "--read-aloud", "--preset", "./" + preset, "--out", out])
        #expect(renamed.status == 2 && renamed.stdout.contains("1 already there"), "\(renamed.stdout)\(renamed.stderr)")
    }

    @Test("extract --read-aloud refuses a row without the text that was read, and runs it once the manifest has one")
    func readAloudNeedsText() throws {
        let audio = try makeRecording()
        let manifest = scratch("m.jsonl"), out = scratch("features")
        func write(_ secondText: String) throws {
            try [#"{"id": "a", "audio": "\#(audio)", "speaker": "s1", "text": "we call it bear"}"#,
                 #"{"id": "b", "audio": "\#(audio)", "speaker": "s2"\#(secondText)}"#]
                .joined(separator: "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        }
        try write("")
        let first = try proscore(["extract", manifest, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(first.status == 2 && first.stderr.contains("skipped b: no \"text\" in the manifest"), "\(first.stdout)\(first.stderr)")
        let index = try String(contentsOfFile: out + "/index.jsonl", encoding: .utf8)
        #expect(index.contains(#""id":"a""#) && !index.contains(#""id":"b""#), "\(index)")
        try write(#", "text": "it is a bear""#)
        let again = try proscore(["extract", manifest, "--model", layerNormModel, "--read-aloud", "--out", out])
        #expect(again.status == 0 && again.stdout.contains("1 already there, 0 failed"), "\(again.stdout)\(again.stderr)")
    }

    @Test("a float recording with infinite and NaN samples is read as clipped and silent there, not a crash")
    func nonFiniteSamples() throws {
        var samples = try AudioLoading.load16kMono(path: try makeRecording())
        for i in stride(from: 1_000, to: samples.count, by: 3_000) { samples[i] = .infinity; samples[i + 1] = .nan; samples[i + 2] = 1e20 }
        let path = scratch("broken.wav")
        try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let r = try proscore(["score", path, "--model", layerNormModel, "--format", "jsonl"])
        #expect(r.status == 0 && r.stdout.contains("\"id\":\"broken\""), "\(r.status) \(r.stderr)")
    }

    @Test("extract refuses a plain folder of recordings and points to score")
    func extractPlainFolder() throws {
        let folder = scratch("class")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try makeRecording(), toPath: folder + "/a.wav")
        let r = try proscore(["extract", folder, "--model", layerNormModel, "--out", scratch("features")])
        #expect(r.status != 0 && r.stderr.contains("proscore score"), "\(r.stderr)")
    }

    @Test("a recording where a model folder belongs is named as a file, not as missing")
    func fileForModel() throws {
        let audio = try makeRecording()
        let r = try proscore(["inspect", audio])
        #expect(r.status != 0 && r.stderr.contains("is a file, not a model folder"), "\(r.stderr)")
    }

    @Test("--store naming a bare file name keeps the sessions in the current folder")
    func storeInCurrentFolder() throws {
        let folder = scratch("here")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let r = try proscore(["replay", try makeRecording(), "--model", layerNormModel, "--head", "none", "--text-model", "none",
                              "--speed", "max", "--store", "sessions.sqlite"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        let listed = try proscore(["sessions", "list", "--json", "--store", "sessions.sqlite"], in: folder)
        #expect(listed.status == 0 && listed.stdout.split(separator: "\n").count == 1, "\(listed.stdout)\(listed.stderr)")
    }

    @Test("replay's and live's help list only their own options, with defaults as they are typed")
    func helpLists() throws {
        let replay = try proscore(["replay", "--help"]).stdout, live = try proscore(["live", "--help"]).stdout
        #expect(replay.contains("--speed") && !replay.contains("--device") && !replay.contains("--file") && !replay.contains("--period-ms"))
        #expect(live.contains("--device") && !live.contains("--speed") && !live.contains("--file") && !live.contains("--offset"))
        #expect(replay.contains("(default: 1)") && !replay.contains("paced("))
        let tune = try proscore(["tune", "--help"]).stdout, score = try proscore(["score", "--help"]).stdout
        #expect(tune.contains("(default: 320,640,1000)") && !score.contains("\\\n"))
    }
}
