import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

@Suite("proscore serve (the command)")
struct ServeCommandTests {
    @Test("serve --port 0 says where it listens, answers /healthz and shuts down cleanly on SIGTERM")
    func servesAndStops() async throws {
        let store = scratch("sessions.sqlite")
        let (process, _, stderr) = try launchCapturingErrors([
            "serve", "--port", "0", "--model", fixtureModel, "--head", "none", "--text-model", "none", "--store", store])
        defer { if process.isRunning { process.terminate() } }
        var text = ""
        while !text.contains("listening on") {
            let piece = readSome(stderr)
            if piece.isEmpty { break }
            text += String(decoding: piece, as: UTF8.self)
        }
        let address = try #require(text.split(separator: "\n").first { $0.contains("listening on") }?
            .split(separator: " ").first { $0.hasPrefix("http://") })
        #expect(address.hasPrefix("http://127.0.0.1:"))
        let (body, response) = try await URLSession.shared.data(from: URL(string: address + "/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self).contains(#""status":"ok""#))
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("serve refuses a bad option before listening")
    func badOptions() throws {
        let result = try proscore(["serve", "--max-sessions", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--max-sessions"))
        let missing = try proscore(["serve", "--port", "0", "--model", "/nonexistent", "--head", "none", "--text-model", "none"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent"))
    }
}
