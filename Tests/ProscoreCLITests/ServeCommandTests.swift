import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite("proscore serve (the command)")
struct ServeCommandTests {
    @Test("serve --port 0 says where it listens, answers /healthz and shuts down cleanly on SIGTERM, saying so")
    func servesAndStops() async throws {
        let server = try RunningServer(["--model", fixtureModel, "--head", "none", "--text-model", "none", "--store", scratch("sessions.sqlite")])
        defer { server.stop() }
        let (body, response) = try await URLSession.shared.data(from: URL(string: server.httpURL + "/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""status":"ok""#))
        // A second server on the same port says the port is taken and what to do.
        let second = try proscore(["serve", "--port", "\(server.port)", "--model", fixtureModel, "--head", "none", "--text-model", "none",
                                   "--store", scratch("other.sqlite")])
        #expect(second.status != 0 && second.stderr.contains("port \(server.port) on 127.0.0.1 is in use") && second.stderr.contains("--port 0"),
                "\(second.stderr)")
        server.stop()
        #expect(server.process.terminationStatus == 0)
        let farewell = String(decoding: server.errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(farewell.contains("stopped (SIGINT or SIGTERM)"), "\(farewell)")
    }

    @Test("a server shut down mid-stream keeps the session as interrupted by the shutdown, not by the client, and the client is told it may have been shut down")
    func shutdownMidStream() throws {
        let store = scratch("shutdown.sqlite")
        let server = try RunningServer(["--model", fixtureModel, "--head", "none", "--text-model", "none", "--store", store])
        defer { server.stop() }
        let client = try launchCapturingErrors(["bench", "serve", "--url", server.webSocketURL, "--streams", "1", "--speed", "1",
                                                "--seconds", "30", "--recording", checkout + "/recordings/anna-morning.flac", "--json"])
        defer { if client.process.isRunning { client.process.terminate() } }
        Thread.sleep(forTimeInterval: 3)
        server.stop()
        #expect(server.process.terminationStatus == 0)
        let clientReport = client.stdout.fileHandleForReading.readDataToEndOfFile()
        client.process.waitUntilExit()
        let seen = try #require(try JSONSerialization.jsonObject(with: clientReport) as? [String: Any],
                                "\(String(decoding: clientReport, as: UTF8.self))")
        #expect((seen["errors"] as? [String])?.first?.contains("it was shut down") == true, "\(seen)")
        let list = try proscore(["sessions", "list", "--json", "--store", store])
        let session = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.split(separator: "\n").first.map { Data($0.utf8) } ?? Data())) as? [String: Any],
                                   "\(list.stdout)\(list.stderr)")
        let id = try #require(session["id"] as? Int)
        let export = try proscore(["sessions", "export", "\(id)", "--format", "json", "--store", store])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any], "\(export.stderr)")
        #expect(record["status"] as? String == "interrupted")
        #expect((record["error"] as? String ?? "").contains("server was shut down"), "\(record["error"] ?? "none")")
    }

    @Test("serve refuses a bad option before listening")
    func badOptions() throws {
        let result = try proscore(["serve", "--max-sessions", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--max-sessions"))
        // A negative number is read as the option's value, and the range is named.
        let negative = try proscore(["serve", "--port", "-1"])
        #expect(negative.status != 0)
        #expect(negative.stderr.contains("--port must be 0–65535"), "\(negative.stderr)")
        let missing = try proscore(["serve", "--port", "0", "--model", "/nonexistent", "--head", "none", "--text-model", "none"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent"))
        // A token no client could send is refused at start-up, not after, by refusing everyone.
        // (timeout: a server that wrongly started would otherwise hold the test.)
        let binary = Bundle.main.bundleURL.appendingPathComponent("proscore").path
        for (content, said) in [("abcdefghijklmnopqrstuvwx\nsecondline\n", "holds more than one line"),
                                ("has space and = sign abcdefghijklmnop\n", "holds a space, which the page cannot send"),
                                ("short\n", "at least 16 characters")] {
            let file = scratch("token.txt")
            try content.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try shell("timeout 30 '\(binary)' serve --port 0 --token-file '\(file)' --model '\(fixtureModel)' --head none --text-model none")
            #expect(r.status != 0 && r.status != 124 && r.stderr.contains(said) && r.stderr.contains("openssl rand -hex 24"), "\(r.status) \(r.stderr)")
        }
    }

    @Test("bench serve streams paced audio from several clients and reports latencies and the stored sessions; a server that is not there is an error")
    func loadClient() async throws {
        let store = scratch("sessions.sqlite")
        let server = try RunningServer(["--model", fixtureModel, "--head", "none", "--text-model", "none", "--store", store])
        defer { server.stop() }
        let audio = checkout + "/recordings/anna-morning.flac"
        let result = try proscore(["bench", "serve", "--url", server.webSocketURL,
                                   "--streams", "3", "--speed", "4", "--recording", audio, "--json"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["completed"] as? Int == 3)
        #expect((report["session_ids"] as? [Int])?.count == 3)
        // Paced at 4x real time, the 8.3 s recording takes about 2 s to send.
        #expect((report["wall_s"] as? Double ?? 0) > 1.9)
        let latency = try #require(report["end_to_end_ms"] as? [String: Double])
        #expect((latency["p95"] ?? -1) >= 0 && (latency["p95"] ?? .infinity) < 5_000)
        #expect((report["estimates"] as? Int ?? 0) >= 3 * 10)
        // Stored apart from a class's sessions, under the bench's learner name.
        let stored = try proscore(["sessions", "list", "--learner", "proscore bench", "--store", store])
        #expect(stored.stdout.split(separator: "\n").count == 1 + 3, "\(stored.stdout)\(stored.stderr)")
        // The text report says the throughput at full speed, and what each latency measures.
        let text = try proscore(["bench", "serve", "--url", server.webSocketURL, "--speed", "max", "--recording", audio])
        #expect(text.status == 0 && text.stdout.contains("× real time") && text.stdout.contains("final scores after stop")
                && text.stdout.contains("the last sample an estimate needs sent"), "\(text.stdout)")
        server.stop()

        let refused = try proscore(["bench", "serve", "--url", server.webSocketURL,
                                    "--recording", audio, "--json"])
        #expect(refused.status != 0)
        #expect(refused.stdout.contains(#""completed":0"#) && refused.stdout.contains("is `proscore serve` running"), "\(refused.stdout)")
        #expect(try proscore(["bench", "serve", "--speed", "fast"]).stderr.contains("--speed"))
    }
}
