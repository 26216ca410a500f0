import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import HummingbirdWSTesting
import NIOCore
import NIOWebSocket
import ProscoreServer
import Testing

@Suite("proscore serve: HTTP")
struct HTTPTests {
    @Test("POST /v1/score returns the final estimate as score --format jsonl does")
    func scoresAnUpload() async throws {
        let app = try makeServer(serverConfiguration())
        let body = ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: recording)))
        try await app.test(.live) { client in
            let response = try await client.post("/v1/score?reference=good%20morning", body: body)
            #expect(response.status == .ok)
            let result = try #require(object(String(buffer: response.body)))
            #expect(result["file"] as? String == "upload")
            #expect(abs((result["duration_s"] as? Double ?? 0) - 8.34) < 0.01)
            #expect(result["measures"] is [String: Any])
            #expect(result["rtf"] is Double)
            #expect(result["completeness"] is Double)
            let empty = try await client.post("/v1/score", body: ByteBuffer())
            #expect(empty.status == .badRequest)
            let garbage = try await client.post("/v1/score", body: ByteBuffer(string: "not a sound file"))
            #expect(garbage.status == .unprocessableContent)
            #expect(object(String(buffer: garbage.body))?["error"] is String)
            // A form upload (curl -F) is told how to send the file.
            let form = try await client.post("/v1/score", headers: [.contentType: "multipart/form-data; boundary=x"], body: body)
            #expect(form.status == .unsupportedMediaType
                    && (object(String(buffer: form.body))?["error"] as? String)?.contains("curl --data-binary @FILE") == true)
        }
        var small = serverConfiguration()
        small.maxBodyBytes = 64 << 10
        try await makeServer(small).test(.live) { client in
            let tooLarge = try await client.post("/v1/score", body: body)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(object(String(buffer: tooLarge.body))?["error"] as? String == "the request body is larger than this server's limit (serve --max-body-mib)")
        }
    }

    @Test("session routes take numeric ids only; others and missing sessions are 404")
    func numericIdsOnly() async throws {
        let app = try makeServer(serverConfiguration())
        try await app.test(.live) { client in
            for path in ["/v1/sessions/abc", "/v1/sessions/1x", "/v1/sessions/-1", "/v1/sessions/%2e%2e", "/v1/sessions/99999",
                         "/v1/sessions/99999/report", "/v1/sessions/abc/report", "/v1/sessions/99999999999999999999"] {
                let response = try await client.get(path)
                #expect(response.status == .notFound, "\(path)")
                // One error shape everywhere: {"error": "…"}.
                #expect(object(String(buffer: response.body))?["error"] is String, "\(path): \(String(buffer: response.body))")
                #expect(!String(buffer: response.body).contains(".sqlite"), "a 404 does not show where the store is: \(String(buffer: response.body))")
            }
            #expect(String(buffer: try await client.get("/v1/sessions/99999").body).contains("no session 99999 on this server"))
            #expect(try await client.get("/v1/sessions").status == .ok)
            let unknown = try await client.get("/v2/nothing")
            #expect(unknown.status == .notFound)
            #expect((object(String(buffer: unknown.body))?["error"] as? String)?.contains("/openapi.yaml") == true)
        }
    }

    @Test("with a token every request but the page needs Authorization: Bearer; a stream may carry it as a subprotocol")
    func tokenRequired() async throws {
        let token = "0123456789abcdef-test"
        let app = try makeServer(serverConfiguration(token: token))
        try await app.test(.live) { client in
            // The page holds no data and must load in a browser, which cannot add the header.
            for path in ["/", "/static/app.js"] { #expect(try await client.get(path).status == .ok, "\(path)") }
            for path in ["/healthz", "/v1/sessions", "/metrics", "/v1/stream", "/openapi.yaml", "/v1/sessions/1/report"] {
                let response = try await client.get(path)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.headers[.wwwAuthenticate] != nil)
            }
            #expect(try await client.get("/v1/sessions", headers: bearer("wrong-token-xxxxxxxx")).status == .unauthorized)
            #expect(try await client.get("/v1/sessions", headers: bearer(token)).status == .ok)
            // The scheme's name is case-insensitive.
            #expect(try await client.get("/v1/sessions", headers: [.authorization: "bearer \(token)"]).status == .ok)
            #expect(try await client.post("/v1/score", body: ByteBuffer(string: "x")).status == .unauthorized)
            await #expect(throws: (any Error).self) {
                try await client.ws("/v1/stream") { _, outbound, _ in try await outbound.write(.text(startMessage)) }
            }
            // What the page does: the token as the subprotocol `bearer.<token>` beside `proscore`.
            await #expect(throws: (any Error).self) {
                try await client.ws("/v1/stream", configuration: .init(additionalHeaders: [.secWebSocketProtocol: "proscore, bearer.wrong-token-xxxxxx"])) { _, outbound, _ in
                    try await outbound.write(.text(startMessage))
                }
            }
            let received = Received()
            let close = try await client.ws("/v1/stream", configuration: .init(additionalHeaders: [.secWebSocketProtocol: "proscore, bearer.\(token)"])) { inbound, outbound, _ in
                try await outbound.write(.text(startMessage))
                for frame in try pcmFrames().prefix(20) { try await outbound.write(.binary(frame)) }
                try await outbound.write(.text(#"{"type":"stop"}"#))
                for try await message in inbound.messages(maxSize: 1 << 22) { if case let .text(text) = message { received.add(text) } }
            }
            #expect(close?.closeCode == .normalClosure)
            #expect(received.messages.last?.contains(#""status":"complete""#) == true)
        }
    }

    @Test("when --max-sessions are running, uploads and plain requests get 503 with Retry-After, new streams close with 1013")
    func fullServer() async throws {
        let app = try makeServer(serverConfiguration(maxSessions: 1))
        try await app.test(.live) { client in
            // Every stream here is a client on a plain socket, as a browser sees it (see PlainWebSocket).
            let port = try #require(client.port)
            let held = try await PlainWebSocket.connect(port: port, path: "/v1/stream")
            try held.sendText(startMessage)
            try held.sendBinary([UInt8](repeating: 0, count: 3_200))
            var health: [String: Any]?
            for _ in 0..<100 {
                health = object(String(buffer: try await client.get("/healthz").body))
                if health?["active_sessions"] as? Int == 1 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(health?["active_sessions"] as? Int == 1)
            let stream = try await client.get("/v1/stream")
            #expect(stream.status == .serviceUnavailable)
            #expect(stream.headers[.retryAfter] != nil)
            let upload = try await client.post("/v1/score", body: ByteBuffer(string: "x"))
            #expect(upload.status == .serviceUnavailable)
            #expect(upload.headers[.retryAfter] != nil)
            let refusedStream = try await PlainWebSocket.connect(port: port, path: "/v1/stream")
            try refusedStream.sendText(startMessage)
            let refused = try await refusedStream.closeFrame()
            #expect(refused?.code == 1013)
            #expect(refused?.reason.contains("maximum of 1 session; try again") == true, "\(String(describing: refused?.reason))")
            // Without a start message too: the stream is closed at once, not left waiting for one.
            let silentStream = try await PlainWebSocket.connect(port: port, path: "/v1/stream")
            #expect(try await silentStream.closeFrame()?.code == 1013)
            // The held session ends as asked, with its summary.
            try held.sendText(#"{"type":"stop"}"#)
            let (messages, close) = try await held.messagesAndClose()
            #expect(close?.code == 1000, "\(messages)")
            #expect(messages.last?.contains(#""summary""#) == true, "\(messages)")
            let metrics = String(buffer: try await client.get("/metrics").body)
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"proscore_rejected_sessions_total{reason="full"}"#) }
            #expect((line?.split(separator: " ").last.flatMap { Int($0) } ?? 0) == 4)
        }
    }

    @Test("a server whose store stops answering says so: /healthz 503 for the load balancer, and the API's errors keep their JSON shape")
    func storeGone() async throws {
        let configuration = serverConfiguration()
        let app = try makeServer(configuration)
        try await app.test(.live) { client in
            #expect(try await client.get("/healthz").status == .ok)
            // The store's tables gone under the running server (python3's sqlite3: make test has python3).
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('DROP TABLE event'); "
                                + "c.execute('DROP TABLE session'); c.commit()", configuration.storePath]
            try python.run()
            python.waitUntilExit()
            #expect(python.terminationStatus == 0)
            let health = try await client.get("/healthz")
            let said = object(String(buffer: health.body))
            #expect(health.status == .serviceUnavailable && said?["status"] as? String == "store unavailable" && said?["error"] is String,
                    "\(health.status) \(String(buffer: health.body))")
            let list = try await client.get("/v1/sessions")
            #expect(list.status == .internalServerError
                    && (object(String(buffer: list.body))?["error"] as? String)?.hasPrefix("the server could not answer") == true,
                    "\(list.status) \(String(buffer: list.body))")
        }
    }

    @Test("behind a trusted proxy a stream's source is the forwarded address; otherwise the header is ignored")
    func forwardedFor() async throws {
        for trusted in [true, false] {
            var configuration = serverConfiguration()
            configuration.trustForwardedFor = trusted
            try await makeServer(configuration).test(.live) { client in
                let stream = try await PlainWebSocket.connect(port: try #require(client.port), path: "/v1/stream",
                                                              headers: ["X-Forwarded-For": "203.0.113.7, 10.0.0.1"])
                try stream.sendText(startMessage)
                try stream.sendBinary([UInt8](repeating: 0, count: 3_200))
                try stream.sendText(#"{"type":"stop"}"#)
                let (messages, _) = try await stream.messagesAndClose()
                let id = try #require(messages.last.flatMap(object)?["session_id"] as? Int, "\(messages)")
                let source = object(String(buffer: try await client.get("/v1/sessions/\(id)").body))?["source"] as? String ?? ""
                #expect(source.contains("203.0.113.7 via 127.0.0.1:") == trusted && source.hasPrefix("websocket"), "\(trusted): \(source)")
            }
        }
    }

    @Test("a keep-alive connection left idle is closed after the HTTP idle timeout, not held open for ever")
    func idleKeepAlive() async throws {
        var configuration = serverConfiguration()
        configuration.httpIdleTimeoutSeconds = 1
        try await makeServer(configuration).test(.live) { client in
            // Closed by the server (without the timeout it stays open, and this throws after 60 s);
            // how soon is not asserted: a loaded machine delays the timer by seconds.
            _ = try await PlainWebSocket.secondsUntilClosed(port: try #require(client.port),
                                                            sending: Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                                                            receiveTimeoutSeconds: 60)
        }
    }

    @Test("health, metrics, the OpenAPI document and the page are served")
    func staticRoutes() async throws {
        let app = try makeServer(serverConfiguration())
        try await app.test(.live) { client in
            let health = try await client.get("/healthz")
            #expect(object(String(buffer: health.body))?["status"] as? String == "ok")
            let metrics = String(buffer: try await client.get("/metrics").body)
            for name in ["proscore_active_sessions", "proscore_audio_seconds_total", "proscore_real_time_factor_bucket",
                         "proscore_emit_latency_seconds_bucket", "proscore_dropped_samples_total", "proscore_rejected_sessions_total"] {
                #expect(metrics.contains(name), "\(name)")
            }
            let openapi = try await client.get("/openapi.yaml")
            #expect(String(buffer: openapi.body).hasPrefix("openapi: 3.1"))
            let page = try await client.get("/")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("/static/app.js"))
            #expect(try await client.get("/static/app.js").status == .ok)
            #expect(try await client.get("/static/capture-worklet.js").status == .ok)
            #expect(try await client.get("/static/..%2fopenapi.yaml").status == .notFound)
            #expect(try await client.get("/v1/stream").status == .upgradeRequired)
        }
    }

    @Test("a page of another origin may not open streams or call the API; no CORS headers unless --allow-origin")
    func origins() async throws {
        let app = try makeServer(serverConfiguration())
        try await app.test(.live) { client in
            let foreign = try await client.get("/v1/sessions", headers: [.origin: "https://evil.example"])
            #expect(foreign.status == .forbidden)
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
        }
        var configuration = serverConfiguration()
        configuration.allowOrigin = "https://app.example"
        try await makeServer(configuration).test(.live) { client in
            let allowed = try await client.get("/v1/sessions", headers: [.origin: "https://app.example"])
            #expect(allowed.status == .ok)
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.example")
        }
    }
}
