import ArgumentParser
import Foundation
import ProscoreFeatures
import ProscorePipeline
import ProscoreScoring
import ProscoreTensor

/// `score`: a folder's or a class's recordings through exactly the replay path, several at once.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score recordings (files, a folder, a JSON-lines manifest or a speechocean762 folder) exactly as replay does, in parallel.",
        discussion: """
            Each recording runs through the session pipeline at full speed with the preset's settings; the \
            final estimate's 0–10 scores (speechocean762 scale: 10 is native-like), transcript and measures \
            are written as CSV or JSON lines. A file that fails is reported and the batch goes on. With a \
            reference (--reference, --references, or --read-aloud for a manifest's texts) the read-aloud head \
            scores and likely mispronounced words are listed. Exit status 0 when every file was scored, 2 \
            when some failed, 1 when none could be, 130 when Ctrl-C stopped the batch (the rows of the \
            files scored by then are written).

            Units: duration_s in seconds; accuracy, fluency, prosodic, total and completeness (reference words \
            found in the transcript) on 0–10; speech_rate, articulation_rate and nuclei_rate in syllables a \
            second; phonation_time_ratio 0–1; *_pauses_per_minute per minute of the recording; f0_range_st in \
            semitones; rtf is compute time over audio time. A row without scores says why in unscored_reason.
            """)

    enum Format: String, ExpressibleByArgument { case csv, jsonl }

    @Argument(help: "Recordings, or one folder of recordings (searched with its subfolders), manifest (.jsonl) or speechocean762 folder.") var inputs: [String]
    @Option(help: "The text read aloud, for every file.") var reference: String?
    @Option(help: ArgumentHelp("A file of `PATH-or-ID<TAB>TEXT` lines: each recording's reference.", discussion: """
        A line finds its recording by path (as given on the command line, or relative to the file's folder, or absolute) \
        or by id: a recording's id is its file name without extension (anna-morning), or, when one folder is scored, its \
        path inside the folder without extension (sub/anna-morning); the file name alone finds it too. Lines and recordings \
        left without a partner are named.
        """)) var references: String?
    @Flag(help: "Use a manifest's texts as the references.") var readAloud = false
    @Option(parsing: .unconditional, help: "Recordings scored at once (each on one thread).") var jobs: Int = 1
    @Option(help: "csv or jsonl (default: as --out's extension says, .jsonl or .json for jsonl; else csv).") var format: Format?

    /// The format asked for, or the one `--out`'s name says.
    var outputFormat: Format {
        if let format { return format }
        let ext = out.map { ($0 as NSString).pathExtension.lowercased() } ?? ""
        return ext == "jsonl" || ext == "json" ? .jsonl : .csv
    }
    @Option(help: "Write here instead of stdout.") var out: String?
    @Flag(help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var scoring: ScoringModelOptions
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if !(1...64).contains(jobs) { throw ValidationError("--jobs must be 1–64.") }
        if overwrite && out == nil { throw ValidationError("--overwrite replaces the file of --out; give --out FILE, or leave --overwrite out.") }
        if [reference != nil, references != nil, readAloud].filter({ $0 }).count > 1 {
            throw ValidationError("Give one of --reference, --references and --read-aloud.")
        }
        try ScoringModelOptions.checkReference(reference)
        scoring.noteReadingsHead(readings: reference != nil || references != nil || readAloud)
    }

    /// The recordings, and whether they came from a manifest (which may carry texts). Folders
    /// named beside other folders or files (`score class/*` catching a subfolder) give their
    /// recordings; a manifest or a speechocean762 folder is scored on its own. A file named
    /// twice is scored once.
    private static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    /// Also the files under the folders named that are in formats Proscore cannot read
    /// (found in the same walk), so that they are named rather than left out silently.
    func entries() throws -> (list: [ManifestEntry], isManifest: Bool, foreign: [String]) {
        let isFolder = Self.isFolder
        func foreignPaths(_ folder: String, _ found: [String]) -> [String] { found.map { (folder as NSString).appendingPathComponent($0) } }
        if inputs.count == 1, let only = inputs.first, isFolder(only) || only.hasSuffix(".jsonl") {
            if isFolder(only), !Manifest.isSpeechocean762(folder: only) {
                let (recordings, foreign) = try Manifest.recordingsAndForeignMedia(folder: only)
                return (recordings, false, foreignPaths(only, foreign))
            }
            return (try Manifest.load(path: only), true, [])
        }
        var paths: [String] = [], speakers: [String: String] = [:], foreign: [String] = []
        for input in inputs {
            if isFolder(input) {
                if Manifest.isSpeechocean762(folder: input) {
                    throw ValidationError("\(input) is a speechocean762 folder: score it on its own, without other recordings.")
                }
                let found = try Manifest.recordingsAndForeignMedia(folder: input)
                for entry in found.recordings {
                    paths.append(entry.audio)
                    if let speaker = entry.speaker { speakers[entry.audio] = speaker }
                }
                foreign += foreignPaths(input, found.foreign)
            } else if input.hasSuffix(".jsonl") {
                throw ValidationError("\(input) is a manifest: score it on its own, or list its recordings in it.")
            } else {
                paths.append(input)
            }
        }
        var seen = Set<String>()
        let unique = paths.filter { seen.insert(($0 as NSString).standardizingPath).inserted }
        if unique.count < paths.count {
            FileHandle.standardError.write(Data("warning: \(paths.count - unique.count) recording(s) named more than once, scored once\n".utf8))
        }
        // A recording in a learner's subfolder keeps the subfolder as its speaker.
        return (Manifest.files(unique).map { entry in
            var entry = entry
            entry.speaker = speakers[entry.audio]
            return entry
        }, false, foreign)
    }

    /// Each entry's reference, or nil for free speech. A reference the person gave that fits
    /// no recording, and a recording left without one, are said on stderr: a typo in a path
    /// must not turn a reading silently into free speech.
    func referenceTexts(_ entries: [ManifestEntry], isManifest: Bool) throws -> [String?] {
        if let reference { return entries.map { _ in reference } }
        if readAloud {
            guard isManifest else {
                throw ValidationError("--read-aloud takes the texts of a manifest (.jsonl) or a speechocean762 folder; for recordings named one by one, give --reference or --references.")
            }
            let missing = entries.filter { ReadingReference.text($0.text) == nil }
            warn(missing.map(\.id), "no text in the manifest, scored as free speech")
            return entries.map(\.text)
        }
        guard let references else { return entries.map { _ in nil } }
        guard let text = try? String(contentsOfFile: references, encoding: .utf8) else {
            throw ValidationError("--references \(references): cannot be read.")
        }
        let table = try ReferenceTable(text: text, file: references)
        var used = Set<Int>()
        let texts = entries.map { entry -> String? in
            guard let line = table.line(for: entry) else { return nil }
            used.insert(line)
            return table.texts[line]
        }
        warn(entries.indices.filter { texts[$0] == nil }.map { entries[$0].audio }, "no line in \(references), scored as free speech")
        warn(table.keys.indices.filter { !used.contains($0) }.map { "\(references) line \(table.lineNumbers[$0]) (\(table.keys[$0]))" },
             "fits none of the recordings")
        return texts
    }

    private func warn(_ items: [String], _ why: String) {
        guard !items.isEmpty else { return }
        let shown = items.prefix(5).joined(separator: ", ") + (items.count > 5 ? " and \(items.count - 5) more" : "")
        FileHandle.standardError.write(Data("warning: \(shown): \(why)\n".utf8))
    }

    func run() throws {
        if let out { try OutputFile.check(out, overwrite: overwrite) }
        let (list, isManifest, foreign) = try entries()
        guard !list.isEmpty else { throw ValidationError("Nothing to score.") }
        // A phone's .m4a in a class folder is named, not left out silently.
        warn(foreign, "a format Proscore cannot read, left out: convert to WAV or FLAC (ffmpeg -i IN.m4a OUT.wav)")
        if let out {
            func absolute(_ path: String) -> String { URL(fileURLWithPath: OutputFile.linkTarget(path)).standardizedFileURL.path }
            let target = absolute(out)
            if let input = list.first(where: { absolute($0.audio) == target }) {
                throw ValidationError("--out \(out) is one of the recordings to score (\(input.audio)); choose another file.")
            }
            // Nor the manifest or references being read: --overwrite would replace a class's list with scores.
            if let input = (inputs + [references].compactMap { $0 }).first(where: { absolute($0) == target }) {
                throw ValidationError("--out \(out) is \(input == references ? "the --references file" : "the manifest") being read (\(input)); choose another file.")
            }
        }
        var request = SessionRequest()
        scoring.fill(&request)
        request.textModel = "none"
        let (settings, models) = try compute.session(request)
        let scorer = BatchScorer(models: models, settings: settings, jobs: jobs)
        var rows: [Int: String] = [:]
        var failed = 0, unscored = 0
        var bar = ProgressBar()
        var done = 0
        let format = outputFormat
        let texts = try referenceTexts(list, isManifest: isManifest)
        // Ctrl-C: the files being scored are finished, no more are started, and what was
        // scored is written; a second Ctrl-C quits at once.
        let trap = SignalTrap()
        defer { trap.cancel() }
        trap.onStop { scorer.stop() }
        scorer.run(list, references: texts) { i, result in
            done += 1
            if result.summary == nil {
                failed += 1
                let why = result.error ?? "failed"
                FileHandle.standardError.write(Data((why.hasPrefix(result.entry.audio) ? why : "\(result.entry.audio): \(why)").utf8 + Data("\n".utf8)))
            } else if result.summary?.scores == nil {
                unscored += 1
            }
            rows[i] = format == .csv ? ScoreRow.csv(result) : ScoreRow.json(result)
            bar.show(done, list.count, result.entry.id)
        }
        var text = format == .csv ? ScoreRow.csvHeader + "\n" : ""
        for i in list.indices { if let row = rows[i] { text += row + "\n" } }
        if let out {
            try OutputFile.write(Data(text.utf8), to: out, overwrite: overwrite)
        } else {
            print(text, terminator: "")
        }
        // Recordings without enough speech ran well but carry no scores: counted apart, with
        // the reason in their rows.
        let stopped = list.count - done
        let tally = "\(done - failed - unscored) scored, \(unscored) without scores (see unscored_reason), \(failed) failed"
            + (stopped > 0 ? "; stopped (SIGINT or SIGTERM) before the other \(stopped) of \(list.count) recordings" : "")
        FileHandle.standardError.write(Data(((out.map { "\($0): " } ?? "") + tally + "\n").utf8))
        if stopped > 0 { throw ExitCode(130) }
        if failed == list.count { throw ExitCode(1) }
        if failed > 0 { throw ExitCode(2) }
    }
}
