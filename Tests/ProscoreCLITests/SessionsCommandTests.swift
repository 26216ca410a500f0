import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreStore
import ProscoreTensor
import Testing

@Suite("recorded sessions", .serialized)
struct SessionsCommandTests {
    @Test("sessions given a learner's name are listed together, whatever the case, and show whose they are")
    func learnersProgress() throws {
        let store = scratch("class.sqlite")
        for learner in ["Anna", "Ben", "anna"] {
            let r = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store, "--learner", learner])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store]).status == 0)
        let anna = try proscore(["sessions", "list", "--learner", "ANNA", "--store", store])
        let rows = anna.stdout.split(separator: "\n").dropFirst()
        #expect(rows.count == 2 && rows.allSatisfy { $0.contains("Anna") || $0.contains("anna") }, "\(anna.stdout)")
        let json = try proscore(["sessions", "list", "--json", "--learner", "ben", "--store", store])
        let ben = json.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(ben.count == 1 && ben.first?["learner"] as? String == "Ben", "\(json.stdout)")
        let nobody = try proscore(["sessions", "list", "--learner", "Carla", "--store", store])
        #expect(nobody.stdout.contains("no sessions of Carla; the names there are: anna, Ben"), "\(nobody.stdout)")
        let show = try proscore(["sessions", "show", "2", "--store", store])
        #expect(show.stdout.contains("learner        Ben"), "\(show.stdout)")
        // The hints, pasted into a shell, find the same store and the same learner.
        #expect(show.stdout.contains("proscore sessions list --learner Ben --store \(store))"), "\(show.stdout)")
        #expect(show.stdout.contains("proscore report 2 --store \(store) (HTML)"), "\(show.stdout)")
        // Anna's progress on one page: her two sessions in order, each score's line, her name.
        let page = scratch("progress.html")
        let report = try proscore(["report", "--learner", "anna", "--out", page, "--store", store])
        #expect(report.status == 0 && report.stdout.contains("2 sessions of anna"), "\(report.stdout)\(report.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.lowercased().contains("anna: progress over 2 sessions") && html.components(separatedBy: "<polyline").count == 5, "a line per score")
        #expect(html.contains("<tr><td>1</td>") && html.contains("<tr><td>3</td>") && !html.contains("<tr><td>2</td>"), "Ben's session left out")
        let unknown = try proscore(["report", "--learner", "Carla", "--out", scratch("c.html"), "--store", store])
        #expect(unknown.status != 0 && unknown.stderr.contains("the names there are: anna, Ben"), "\(unknown.stderr)")
        let long = try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--store", store, "--learner", String(repeating: "x", count: 65)])
        #expect(long.status != 0 && long.stderr.contains("--learner"), "\(long.stderr)")
        let odd = #"Zoë "Zo" O'Brien $HOME"#
        #expect(try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store, "--learner", odd]).status == 0)
        let quoted = try proscore(["sessions", "show", "5", "--store", store])
        #expect(quoted.stdout.contains(#"--learner 'Zoë "Zo" O'\''Brien $HOME'"#), "\(quoted.stdout)")
        // One learner however the name is spaced or cased.
        let respaced = try proscore(["sessions", "list", "--learner", #"zoë  "zo" o'brien   $home"#, "--store", store])
        #expect(respaced.stdout.split(separator: "\n").count == 2, "\(respaced.stdout)")
        // A short name typed with a combining accent (NFD) keeps the source column in line.
        #expect(try proscore(["replay", try makeRecording(), "--model", fixtureModel, "--speed", "max", "--store", store, "--learner", "Zoe\u{308}"]).status == 0)
        let listed = try proscore(["sessions", "list", "--store", store])
        #expect(listed.stdout.contains(#"Zoë "Zo" O'…"#), "a name cut to the column ends in …: \(listed.stdout)")
        let rowsByColumns = listed.stdout.split(separator: "\n").dropFirst().map { $0.count }
        #expect(Set(rowsByColumns).count == 1, "every row as long, in characters a reader sees: \(listed.stdout)")
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
        #expect(show.stdout.contains("estimates") && show.stdout.contains("settings       preset configs/balanced.json; chunk "), "\(show.stdout)")
        #expect(show.stdout.contains("proscore sessions export 1"))
        let json = try proscore(["sessions", "export", "1", "--format", "json", "--store", store])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let events = object["events"] as! [[String: Any]]
        #expect(events.contains { $0["kind"] as? String == "estimate" } && events.contains { $0["kind"] as? String == "word" })
        #expect((object["summary"] as? [String: Any])?["words"] != nil)
        let csv = try proscore(["sessions", "export", "1", "--format", "csv", "--store", store])
        #expect(csv.stdout.hasPrefix("kind,audio_s,"))
        let lines = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(lines.count == events.count + 2, "a header, the events and the summary")
        #expect(lines.allSatisfy { $0.count == lines[0].count }, "every row has the header's columns")
        let summary = try #require(lines.last)
        #expect(summary[0] == "summary" && Double(summary[1]) ?? 0 > 1 && !summary[2].isEmpty, "\(summary)")
        let column = { (name: String) in lines[0].firstIndex(of: Substring(name))! }
        let utterances = lines.filter { $0[0] == "utterance" }
        #expect(!utterances.isEmpty && utterances.allSatisfy { $0[column("text")].count > 2 }, "utterance rows carry their text")
        #expect(lines.filter { $0[0] == "estimate" }.contains { !$0[column("total")].isEmpty || !$0[column("unscored_reason")].isEmpty })
        // Without a terminal to ask on, deleting needs --yes; on one (a pseudo-terminal from
        // script(1)), it asks, and anything but y keeps the session.
        let unasked = try proscore(["sessions", "delete", "1", "--store", store])
        #expect(unasked.status != 0 && unasked.stderr.contains("cannot be undone: pass --yes"), "\(unasked.stderr)")
        func onTerminal(answer: String) throws -> CommandResult {
            let binary = Bundle.main.bundleURL.appendingPathComponent("proscore").path
            return try shell("printf '\(answer)\\n' | script -qec \"'\(binary)' sessions delete 1 --store '\(store)'\" /dev/null")
        }
        let kept = try onTerminal(answer: "n")
        #expect(kept.stdout.contains("delete session 1 (") && kept.stdout.contains("for good? [y/N]") && kept.stdout.contains("kept session 1"), "\(kept.stdout)")
        #expect(try proscore(["sessions", "show", "1", "--store", store]).status == 0)
        let asked = try onTerminal(answer: "y")
        #expect(asked.stdout.contains("deleted session 1 ("), "\(asked.stdout)")
        // A session still running (here, one this test process writes) is deleted only with --force.
        let live = try SQLiteSessionStore(path: store)
        let running = try live.begin(source: "microphone", modelPath: fixtureModel, modelFingerprint: "-", configuration: "{}")
        let refused = try proscore(["sessions", "delete", "\(running)", "--yes", "--store", store])
        #expect(refused.status != 0 && refused.stderr.contains("still running (microphone)") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(try proscore(["sessions", "delete", "\(running)", "--force", "--yes", "--store", store]).status == 0)
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
