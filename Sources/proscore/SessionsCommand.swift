import ArgumentParser
import Foundation
import ProscoreReport
import ProscoreStore

/// `--store`, shared by the sessions subcommands.
struct StoreOptions: ParsableArguments {
    @Option(help: "Session store; default $PROSCORE_STORE or $XDG_DATA_HOME/proscore/sessions.sqlite.") var store: String?
    func open() throws -> SessionStore { try SessionStore(path: store ?? SessionStore.defaultPath) }
}

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List, show, export and delete recorded sessions.",
        subcommands: [List.self, Show.self, Export.self, Delete.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per session, newest first.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let formatter = ISO8601DateFormatter()
            let sessions = try store.open()
            for s in try sessions.sessions() {
                let estimates = try sessions.events(session: s.id!, kind: "estimate")
                let seconds = estimates.last?.audioSeconds ?? 0
                let state = s.endedAt == nil ? "interrupted" : "complete"
                print(String(format: "%4lld  %@  %7.1f s  %-11@  %@", s.id!, formatter.string(from: s.startedAt), seconds,
                             state as NSString, s.source))
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A session's settings, transcript and final measures.")
        @Argument(help: "Session id.") var id: Int64
        @OptionGroup var store: StoreOptions

        func run() throws {
            let sessions = try store.open()
            let s = try sessions.session(id)
            print("session        \(id)")
            print("source         \(s.source)")
            print("model          \(s.modelPath) (\(s.modelFingerprint))")
            print("started        \(s.startedAt)")
            print("ended          \(s.endedAt.map { "\($0)" } ?? "— (interrupted; events up to the last one are kept)")")
            print("settings       \(s.configuration)")
            print("dropped audio  \(s.droppedSamples) samples")
            let estimates = try sessions.events(session: id, kind: "estimate")
            print("estimates      \(estimates.count), up to \(String(format: "%.1f", estimates.last?.audioSeconds ?? 0)) s")
            let utterances = try sessions.events(session: id, kind: "utterance").compactMap { e -> String? in
                (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8)) as? [String: Any])?["words"]
                    .flatMap { $0 as? [[String: Any]] }?.compactMap { $0["text"] as? String }.joined(separator: " ")
            }
            print("transcript     \(utterances.joined(separator: " / "))")
            if let last = estimates.last { print("last estimate  \(last.payload)") }
            if let summary = s.summary { print("summary        \(summary)") }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every event of a session as JSON or CSV on stdout.")
        enum Format: String, ExpressibleByArgument { case json, csv }
        @Argument(help: "Session id.") var id: Int64
        @Option(help: "json or csv.") var format: Format = .json
        @OptionGroup var store: StoreOptions

        func run() throws {
            let sessions = try store.open()
            let s = try sessions.session(id)
            let events = try sessions.events(session: id)
            switch format {
            case .json:
                let object: [String: Any] = [
                    "id": id, "source": s.source, "model": s.modelPath, "model_fingerprint": s.modelFingerprint,
                    "started_at": ISO8601DateFormatter().string(from: s.startedAt),
                    "ended_at": s.endedAt.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull(),
                    "configuration": (try? JSONSerialization.jsonObject(with: Data(s.configuration.utf8))) ?? s.configuration,
                    "dropped_samples": s.droppedSamples,
                    "summary": s.summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull(),
                    "events": events.map { e -> [String: Any] in
                        ["kind": e.kind, "audio_s": e.audioSeconds,
                         "data": (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8))) ?? e.payload]
                    },
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]), as: UTF8.self))
            case .csv:
                print("kind,audio_s,speech_rate,articulation_rate,phonation_time_ratio,silent_pauses_per_minute,word,start_s,end_s,confidence")
                for e in events {
                    let d = (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8))) as? [String: Any] ?? [:]
                    let w = d["window"] as? [String: Any] ?? [:]
                    func v(_ x: Any?) -> String { x.map { "\($0)" } ?? "" }
                    let word = (d["text"] as? String).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } ?? ""
                    print([e.kind, String(e.audioSeconds), v(w["speech_rate"]), v(w["articulation_rate"]), v(w["phonation_time_ratio"]),
                           v(w["silent_pauses_per_minute"]), word, v(d["start_s"]), v(d["end_s"]), v(d["confidence"])].joined(separator: ","))
                }
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a session and its events.")
        @Argument(help: "Session id.") var id: Int64
        @OptionGroup var store: StoreOptions

        func run() throws {
            try store.open().delete(session: id)
            print("deleted session \(id)")
        }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Render a session as one self-contained HTML file with SVG plots.")
    @Argument(help: "Session id.") var id: Int64
    @Option(help: "Output HTML file.") var out: String = "report.html"
    @OptionGroup var store: StoreOptions

    func run() throws {
        let report = try SessionReport(store: try store.open(), session: id)
        try report.html.write(toFile: out, atomically: true, encoding: .utf8)
        print("\(out): \(report.html.utf8.count / 1024) KB")
    }
}
