import ArgumentParser
import Foundation
import ProscoreModels
import ProscorePipeline
import ProscoreReport
import ProscoreStore

/// `--store`, shared by every command that reads or writes sessions.
struct StoreOptions: ParsableArguments {
    @Option(help: "Session store: a SQLite file, or postgres://USER:PASSWORD@HOST:PORT/DATABASE; default $PROSCORE_STORE, else $XDG_DATA_HOME/proscore/sessions.sqlite, else ~/.local/share/proscore/sessions.sqlite.")
    var store: String?

    /// What --store or the environment names (a path or a URL, password included).
    var resolvedLocation: String { store ?? SessionStores.defaultLocation.path }

    /// The store named by --store or the environment, for writing.
    func open() throws -> any SessionStore {
        if let store {
            try Self.checkFolder(store, origin: "--store")
            return try SessionStores.open(store, origin: "--store")
        }
        let location = SessionStores.defaultLocation
        if location.origin == "$PROSCORE_STORE" { try Self.checkFolder(location.path, origin: "PROSCORE_STORE") }
        return try SessionStores.open(location.path, origin: location.origin == "$PROSCORE_STORE" ? "PROSCORE_STORE" : "--store (or PROSCORE_STORE)")
    }

    /// A store file the user named must be in a folder that exists: a mistyped folder would
    /// start an empty history without a word. (The default location's folders are made.)
    private static func checkFolder(_ location: String, origin: String) throws {
        guard !location.contains("://") else { return }
        let folder = (location as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            throw ValidationError("\(location): its folder \(folder) does not exist; create it first, or correct \(origin).")
        }
    }

    /// What a printed hint adds so that the command, pasted, finds the same store: ` --store
    /// PATH` (quoted for the shell) when one was given; a URL is not repeated (it may hold a password).
    var hintSuffix: String {
        guard let store else { return "" }
        return store.contains("://") ? " --store URL" : " --store " + ShellWord.quoted(store)
    }

    /// The same store for reading only (works on a store this user cannot write).
    func openForReading() throws -> any SessionStore {
        let path = store ?? SessionStores.defaultLocation.path
        return try SessionStores.open(path, readOnly: true, origin: store != nil ? "--store" : "--store (or PROSCORE_STORE)")
    }
}

/// A stored session read back with its typed events.
struct StoredSession {
    let record: SessionRecord
    let estimates: [Estimate]
    let words: [TranscribedWord]
    let summary: SessionSummary?

    init(store: any SessionStore, id: Int64) throws {
        record = try store.session(id)
        estimates = try store.events(session: id, kind: .estimate).map { try $0.decode(Estimate.self) }
        words = try store.events(session: id, kind: .word).map { try $0.decode(TranscribedWord.self) }
        summary = try record.summary.map { try JSONDecoder().decode(SessionSummary.self, from: Data($0.utf8)) }
    }

    /// The summary, or for a session that never ended one made from what was stored.
    var effectiveSummary: SessionSummary {
        summary ?? SessionSummary(audioSeconds: estimates.last?.audioSeconds ?? 0, words: words, last: estimates.last)
    }
}

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List, show, export and delete recorded sessions.",
        subcommands: [List.self, Show.self, Export.self, Delete.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per session, newest first.")
        @Flag(help: "One JSON object per session on stdout.") var json = false
        @Option(help: "Only this learner's sessions (the name given to replay, live or the page), to follow their progress.") var learner: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            let formatter = ISO8601DateFormatter()
            let sessions = try store.openForReading()
            let entries = try SessionListEntry.all(in: sessions, learner: try Learner.name(learner))
            if !json {
                print("  id  started               audio s  status       total  learner       source")
                if try sessions.sessions().isEmpty { print("  (no sessions yet in \(sessions.location))") }
                else if entries.isEmpty, let learner { print("  (no sessions of \(learner); the names there are: \(SessionListEntry.learnerNames(in: sessions)))") }
            }
            for entry in entries {
                let s = entry.record
                if json {
                    print(try SessionExport.text(entry.jsonObject))
                } else {
                    let totalText = entry.total.map { String(format: "%.1f", $0) } ?? "—"
                    let start = String(format: "%4lld  %@  %7.1f  ", s.id!, formatter.string(from: s.startedAt), entry.audioSeconds)
                    let status = s.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                    let total = String(repeating: " ", count: max(0, 5 - totalText.count)) + totalText
                    // A name too long for the column ends in "…", so that two names cut alike do not look the same.
                    let name = entry.learner ?? "—"
                    // Padded by characters as a reader counts them (NSString's padding counts UTF-16
                    // units: a name typed with a combining accent, "Zoe\u{308}", fell a column short).
                    let cut = name.count > 12 ? name.prefix(11) + "…" : name
                    let who = cut + String(repeating: " ", count: 12 - cut.count)
                    print(start + status + "  " + total + "  " + who + "  " + s.source)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A session's settings, transcript, scores and final measures.")
        @Argument(help: "Session id.") var id: Int64
        @OptionGroup var store: StoreOptions

        func run() throws {
            let sessions = try store.openForReading()
            let stored = try StoredSession(store: sessions, id: id)
            let s = stored.record
            print("session        \(id)")
            print("status         \(s.status.rawValue)" + (s.error.map { " (\($0))" } ?? ""))
            print("source         \(s.source)")
            print("model          \(s.modelPath) (\(s.modelFingerprint))")
            print("started        \(s.startedAt)")
            print("ended          \(s.endedAt.map { "\($0)" } ?? "— (events up to the last one are kept)")")
            let settings = try? JSONDecoder().decode(SessionSettings.self, from: Data(s.configuration.utf8))
            if let learner = settings?.learner {
                print("learner        \(learner)  (all of theirs: proscore sessions list --learner \(ShellWord.quoted(learner))\(store.hintSuffix))")
            }
            if let c = settings {
                let w = c.streaming
                print("settings       preset \(c.preset); chunk \(w.chunkMs) ms, left context \(w.leftContextMs) ms, lookahead \(w.lookaheadMs) ms; "
                      + "pause \(c.pauseMs) ms, window \(String(format: "%.0f", c.windowSeconds)) s; \(c.precision.rawValue)")
                print("heads          \(c.head ?? "none")" + (c.readAloudHead.map { ", read aloud: \($0)" } ?? ""))
            } else {
                print("settings       \(s.configuration)")
            }
            print("dropped audio  \(s.droppedSamples) samples")
            print("estimates      \(stored.estimates.count), up to \(String(format: "%.1f", stored.estimates.last?.audioSeconds ?? 0)) s")
            let utterances = try sessions.events(session: id, kind: .utterance).map { try $0.decode(Utterance.self).text }
            print("transcript     \(utterances.isEmpty ? stored.words.map(\.text).joined(separator: " ") : utterances.joined(separator: " / "))")
            let summary = stored.effectiveSummary
            if let scores = summary.scores {
                print("scores         " + scores.present.map { String(format: "%@ %.1f", $0.name, $0.value) }.joined(separator: ", ")
                      + "   (0–10, speechocean762 scale: 10 = native-like)")
            } else {
                print("scores         none" + (summary.unscoredReason.map { " (\($0))" } ?? ""))
            }
            if let m = summary.session {
                print(String(format: "fluency        %.2f syl/s speech rate, %.2f syl/s articulation rate, %.0f%% phonation, %.1f silent pauses/min",
                             m.speechRate, m.articulationRate, 100 * m.phonationTimeRatio, m.silentPausesPerMinute))
            }
            if let reference = settings?.reference {
                print("reference      \(reference)")
                let read = [summary.completeness.map { String(format: "completeness %.1f of 10 (reference words found in the transcript)", $0) },
                            summary.readAloud.map { $0.likelyMispronounced.isEmpty ? "no word stands out as mispronounced"
                                : "likely mispronounced: " + $0.likelyMispronounced.joined(separator: ", ") },
                            summary.readAloud.flatMap { $0.notReached.isEmpty ? nil : "not reached: " + $0.notReached.joined(separator: ", ") }].compactMap { $0 }
                if !read.isEmpty { print("read aloud     " + read.joined(separator: "; ")) }
            }
            print("everything     proscore sessions export \(id)\(store.hintSuffix) (JSON or CSV), proscore report \(id)\(store.hintSuffix) (HTML)")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every event of a session as JSON or CSV on stdout.",
            discussion: """
                CSV: one row per event (kind estimate, word, utterance or text_scores) at audio_s seconds into the \
                session; an estimate's measures are its rolling window's (the last 30 s of speech). A last row of kind \
                summary, once the session ended, has the whole session's measures, the final scores and the transcript. Units: speech_rate and articulation_rate in syllables a second; phonation_time_ratio 0–1; \
                silent_pauses_per_minute per minute; accuracy, fluency, prosodic, total and completeness on 0–10; \
                start_s and end_s in seconds; confidence 0–1; lexical_diversity, relevance and coherence on 0–10.
                """)
        enum Format: String, ExpressibleByArgument { case json, csv }
        @Argument(help: "Session id.") var id: Int64
        @Option(help: "json or csv.") var format: Format = .json
        @OptionGroup var store: StoreOptions

        func run() throws {
            let sessions = try store.openForReading()
            switch format {
            case .json:
                print(try SessionExport.text(SessionExport.jsonObject(store: sessions, id: id), pretty: true))
            case .csv:
                let record = try sessions.session(id)
                print(CSVExport.header)
                for e in try sessions.events(session: id) { print(try CSVExport.row(e)) }
                if let summary = record.summary { print(try CSVExport.summaryRow(summary)) }
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a session and its events, after asking on a terminal.")
        @Argument(help: "Session id.") var id: Int64
        @Flag(help: "Delete it even while it is still running (its live stream ends, and nothing more of it is recorded).") var force = false
        @Flag(name: [.customShort("y"), .long], help: "Delete without asking (needed where stdin is not a terminal, as in scripts).") var yes = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            let sessions = try store.open()
            let record = try sessions.session(id)
            if record.status == .running && !force {
                throw ValidationError("session \(id) is still running (\(record.source)): deleting it would end that stream and lose what it records. "
                                      + "Wait until it ends, or pass --force.")
            }
            // A learner's recorded session is gone for good once deleted: say which, and ask.
            let learner = SessionListEntry.learner(of: record)
            let which = "session \(id) (\(record.source), started \(ISO8601DateFormatter().string(from: record.startedAt))"
                + (learner.map { ", learner \($0)" } ?? "") + ")"
            if !yes {
                guard isatty(0) != 0 else {
                    throw ValidationError("deleting \(which) cannot be undone: pass --yes to delete it (there is no terminal here to ask on).")
                }
                print("delete \(which) and its events for good? [y/N] ", terminator: "")
                fflush(nil)
                guard let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased(), ["y", "yes"].contains(answer) else {
                    print("kept session \(id)")
                    return
                }
            }
            try sessions.delete(session: id)
            print("deleted \(which)")
        }
    }
}

/// One CSV row per stored event: estimates carry their window measures, scores (0–10),
/// completeness (0–10, with a reference) and why they were not scored; words and utterances
/// their text and times (words their confidence too); text scores their 0–10 values.
enum CSVExport {
    static let header = "kind,audio_s,speech_rate,articulation_rate,phonation_time_ratio,silent_pauses_per_minute,"
        + ProficiencyScores.names.joined(separator: ",") + ",completeness,unscored_reason,text,start_s,end_s,confidence,"
        + "lexical_diversity,relevance,coherence"

    private static func f(_ x: Double?) -> String { x.map { String($0) } ?? "" }
    private static func quoted(_ text: String?) -> String { text.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? "" }

    /// The ended session: its whole-session measures, final scores and transcript.
    static func summaryRow(_ json: String) throws -> String {
        let s = try JSONDecoder().decode(SessionSummary.self, from: Data(json.utf8))
        var cells = ["summary", String(s.audioSeconds)]
        let m = s.session
        cells += [f(m?.speechRate), f(m?.articulationRate), f(m?.phonationTimeRatio), f(m?.silentPausesPerMinute)]
        cells += ProficiencyScores.names.map { f(s.scores?[$0]) }
        cells += [f(s.completeness), quoted(s.unscoredReason), quoted(s.transcript), "0", String(s.audioSeconds), ""]
        cells += Array(repeating: "", count: 3)
        return cells.joined(separator: ",")
    }

    static func row(_ e: SessionEvent) throws -> String {
        let measures = 4 + ProficiencyScores.names.count + 2
        var cells = [e.kind.rawValue, String(e.audioSeconds)]
        switch e.kind {
        case .estimate:
            let estimate = try e.decode(Estimate.self)
            let w = estimate.window
            cells += [f(w.speechRate), f(w.articulationRate), f(w.phonationTimeRatio), f(w.silentPausesPerMinute)]
            cells += ProficiencyScores.names.map { f(estimate.scores?[$0]) }
            cells += [f(estimate.completeness), quoted(estimate.unscoredReason)]
            cells += Array(repeating: "", count: 4 + 3)
        case .word:
            let word = try e.decode(TranscribedWord.self)
            cells += Array(repeating: "", count: measures)
            cells += [quoted(word.text), f(word.startSeconds), f(word.endSeconds), f(word.confidence)]
            cells += Array(repeating: "", count: 3)
        case .utterance:
            let utterance = try e.decode(Utterance.self)
            cells += Array(repeating: "", count: measures)
            cells += [quoted(utterance.text), f(utterance.startSeconds), f(utterance.endSeconds), ""]
            cells += Array(repeating: "", count: 3)
        case .textScores:
            let t = try e.decode(TextScores.self)
            cells += Array(repeating: "", count: measures)
            cells += ["", f(t.startSeconds), f(t.endSeconds), ""]
            cells += [f(t.lexicalDiversity), f(t.relevance), f(t.coherence)]
        }
        return cells.joined(separator: ",")
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Render a session, or a learner's progress over their sessions, as one self-contained HTML file with SVG plots.")
    @Argument(help: "Session id.") var id: Int64?
    @Option(help: "Instead of one session: this learner's sessions, each score from session to session.") var learner: String?
    @Option(help: "Output HTML file.") var out: String = "report.html"
    @Flag(help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (id == nil) != (learner == nil) else { throw ValidationError("Give a session id, or --learner NAME for a learner's progress (not both).") }
    }

    func run() throws {
        let sessions = try store.openForReading()
        let html: String
        if let learner {
            let progress = try LearnerProgressReport(store: sessions, learner: learner)
            html = progress.html
            try OutputFile.write(Data(html.utf8), to: out, overwrite: overwrite)
            print("\(out): \(progress.sessions) session\(progress.sessions == 1 ? "" : "s") of \(progress.learner), \(html.utf8.count / 1024) KB")
            return
        }
        html = try SessionReport(store: sessions, session: id!).html
        try OutputFile.write(Data(html.utf8), to: out, overwrite: overwrite)
        print("\(out): \(html.utf8.count / 1024) KB")
    }
}

/// A word as a POSIX shell reads it back: as it is when it holds only safe characters,
/// else in single quotes (a quote inside written '\'').
enum ShellWord {
    static func quoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-:=@%+,")
        if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
