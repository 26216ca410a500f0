import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import HummingbirdWSTesting
import NIOCore
import NIOWebSocket
import ProscoreAudio
import ProscoreServer
import Synchronization
import Testing

/// Messages a stream test received, in order, and what it had sent when each came.
final class Received: Sendable {
    private let state = Mutex<(messages: [String], beforeStop: Int, stopped: Bool)>(([], 0, false))
    func add(_ text: String) { state.withLock { $0.messages.append(text); if !$0.stopped { $0.beforeStop += 1 } } }
    func markStopped() { state.withLock { $0.stopped = true } }
    var messages: [String] { state.withLock { $0.messages } }
    /// Estimates that arrived before the client sent `stop`.
    var estimatesBeforeStop: Int { state.withLock { s in s.messages.prefix(s.beforeStop).filter { $0.hasPrefix(#"{"estimate""#) }.count } }
}

@Suite("proscore serve: /v1/stream")
struct StreamTests {
    @Test("a recording streamed in uneven frames gets estimates before it ends, a summary with the session id, and is stored")
    func streamsARecording() async throws {
        let app = try makeServer(serverConfiguration())
        let frames = try pcmFrames()
        try await app.test(.live) { client in
            let received = Received()
            let close = try await client.ws("/v1/stream") { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case let .text(text) = message { received.add(text) }
                        }
                    }
                    try await outbound.write(.text(startMessage))
                    for (i, frame) in frames.enumerated() {
                        try await outbound.write(.binary(frame))
                        if i == frames.count / 2 {
                            // Half the recording sent: estimates come while the stream goes on.
                            for _ in 0..<600 where received.estimatesBeforeStop == 0 { try await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                    received.markStopped()
                    try await outbound.write(.text(#"{"type":"stop"}"#))
                    try await group.waitForAll()
                }
            }
            #expect(close?.closeCode == .normalClosure)
            let messages = received.messages
            #expect(messages.first?.hasPrefix(#"{"session":{"id":"#) == true)
            #expect(received.estimatesBeforeStop > 0)
            let summary = try #require(messages.last.flatMap(object))
            #expect(summary["status"] as? String == "complete")
            let id = try #require(summary["session_id"] as? Int)
            let audio = try #require((summary["summary"] as? [String: Any])?["audio_s"] as? Double)
            #expect(abs(audio - 8.34) < 0.1)

            let list = try await client.get("/v1/sessions")
            #expect(list.status == .ok)
            let sessions = try #require(try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [[String: Any]])
            let stored = try #require(sessions.first { $0["id"] as? Int == id })
            #expect(stored["status"] as? String == "complete")
            let source = try #require(stored["source"] as? String)
            #expect(source.hasPrefix("websocket 127.0.0.1:") || source.hasPrefix("websocket [::1]:"), "\(source)")
            let one = try await client.get("/v1/sessions/\(id)")
            #expect(one.status == .ok)
            #expect(object(String(buffer: one.body))?["id"] as? Int == id)
            let report = try await client.get("/v1/sessions/\(id)/report")
            #expect(report.status == .ok)
            #expect(String(buffer: report.body).contains("<html"))
        }
    }

    /// Opens a stream, sends `messages`, and returns the close frame the server sent.
    private func closeFrame(for messages: [WebSocketOutboundWriter.OutboundFrame],
                            configuration: ServerConfiguration = serverConfiguration()) async throws -> WebSocketCloseFrame? {
        let app = try makeServer(configuration)
        return try await app.test(.live) { client in
            try await client.ws("/v1/stream") { inbound, outbound, _ in
                for message in messages { try await outbound.write(message) }
                for try await _ in inbound {}
            }
        }
    }

    @Test("a start message that is not JSON closes with 1007 and says what was expected")
    func malformedStart() async throws {
        let close = try await closeFrame(for: [.text("sample_rate=16000")])
        #expect(close?.closeCode == .dataInconsistentWithMessage)
        #expect(close?.reason?.contains("JSON") == true)
        let missing = try await closeFrame(for: [.text(#"{"sample_rate":16000,"channels":1}"#)])
        #expect(missing?.closeCode == .dataInconsistentWithMessage)
        #expect(missing?.reason?.contains("encoding is missing") == true)
        // A mistyped key would have scored a reading as free speech.
        let typo = try await closeFrame(for: [.text(#"{"sample_rate":16000,"encoding":"pcm_s16le","channels":1,"refrence":"hello"}"#)])
        #expect(typo?.closeCode == .dataInconsistentWithMessage)
        #expect(typo?.reason?.contains("unknown key \"refrence\"") == true, "\(String(describing: typo?.reason))")
    }

    @Test("an unknown encoding, a bad rate or audio before the start message closes with 1003")
    func unsupportedData() async throws {
        let encoding = try await closeFrame(for: [.text(#"{"sample_rate":16000,"encoding":"mulaw","channels":1}"#)])
        #expect(encoding?.closeCode == .unacceptableData)
        #expect(encoding?.reason?.contains("pcm_s16le") == true)
        let rate = try await closeFrame(for: [.text(#"{"sample_rate":100,"encoding":"pcm_f32le","channels":1}"#)])
        #expect(rate?.closeCode == .unacceptableData)
        let audioFirst = try await closeFrame(for: [.binary(ByteBuffer(bytes: [0, 0, 0, 0]))])
        #expect(audioFirst?.closeCode == .unacceptableData)
        #expect(audioFirst?.reason?.contains("before the start message") == true)
    }

    @Test("an oversize audio frame closes with 1009; an unknown control message with 1008; an unknown preset with 1008")
    func limitsAndPolicy() async throws {
        var small = serverConfiguration()
        small.maxAudioFrameBytes = 4_096
        let big = try await closeFrame(for: [.text(startMessage), .binary(ByteBuffer(repeating: 0, count: 8_192))], configuration: small)
        #expect(big?.closeCode == .messageTooLarge)
        #expect(big?.reason?.contains("4096") == true)
        let unknown = try await closeFrame(for: [.text(startMessage), .text(#"{"type":"pause"}"#)])
        #expect(unknown?.closeCode == .policyViolation)
        let preset = try await closeFrame(for: [.text(#"{"sample_rate":16000,"encoding":"pcm_s16le","channels":1,"preset":"../../etc/passwd"}"#)])
        #expect(preset?.closeCode == .policyViolation)
        #expect(preset?.reason?.contains("unknown preset") == true)
    }

    @Test("stop before any audio ends the stream normally, saying nothing was recorded")
    func stopBeforeAudio() async throws {
        let close = try await closeFrame(for: [.text(startMessage), .text(#"{"type":"stop"}"#)])
        #expect(close?.closeCode == .normalClosure)
        #expect(close?.reason?.contains("nothing was recorded") == true)
    }

    @Test("a client that goes silent is closed after the idle timeout (1008, with the reason), after its session's id and summary; the session is kept as interrupted")
    func idleTimeout() async throws {
        var configuration = serverConfiguration()
        configuration.idleTimeoutSeconds = 1
        let app = try makeServer(configuration)
        let frames = try pcmFrames()
        try await app.test(.live) { client in
            // Silent before the start message: closed, nothing recorded.
            let silent = try await client.ws("/v1/stream") { inbound, _, _ in
                for try await _ in inbound.messages(maxSize: 1 << 22) {}
            }
            #expect(silent?.closeCode == .policyViolation)
            #expect(silent?.reason?.contains("nothing arrived for 1 s: send the start message first") == true, "\(String(describing: silent?.reason))")
            // Silent in the middle of a session.
            let received = Received()
            let close = try await client.ws("/v1/stream") { inbound, outbound, _ in
                try await outbound.write(.text(startMessage))
                for frame in frames.prefix(12) { try await outbound.write(.binary(frame)) }
                for try await message in inbound.messages(maxSize: 1 << 22) { if case let .text(text) = message { received.add(text) } }
            }
            #expect(close?.closeCode == .policyViolation)
            let (status, error) = try await finalStatusOfNewestSession(client)
            #expect(status == "interrupted")
            #expect(error?.contains("idle timeout") == true)
            // What was scored reaches the client before the close, however slow the machine.
            #expect(sessionsCount(received.messages) == 1)
            let summary = try #require(received.messages.last.flatMap(object))
            #expect(summary["status"] as? String == "interrupted")
            #expect(summary["session_id"] is Int)
        }
    }

    @Test("a client that disconnects mid-stream leaves its session stored as interrupted, with what it sent scored")
    func disconnectMidStream() async throws {
        let app = try makeServer(serverConfiguration())
        let frames = try pcmFrames()
        try await app.test(.live) { client in
            try await client.ws("/v1/stream") { inbound, outbound, _ in
                try await outbound.write(.text(startMessage))
                for frame in frames.prefix(12) { try await outbound.write(.binary(frame)) }
                try await Task.sleep(for: .milliseconds(300))
            }
            let (status, error) = try await finalStatusOfNewestSession(client)
            #expect(status == "interrupted")
            #expect(error?.contains("disconnected") == true)
        }
    }

    /// Streams `frames` after `start` without reading, sends stop, then reads everything;
    /// returns the messages, the close frame and the stored session (`GET /v1/sessions/ID`).
    private func streamWithoutReading(start: String, frames: [ByteBuffer]) async throws
        -> ([String], WebSocketCloseFrame?, [String: Any]?, anna: [[String: Any]]) {
        let app = try makeServer(serverConfiguration())
        return try await app.test(.live) { client in
            let received = Received()
            let close = try await client.ws("/v1/stream") { inbound, outbound, _ in
                try await outbound.write(.text(start))
                for frame in frames { try await outbound.write(.binary(frame)) }
                try await outbound.write(.text(#"{"type":"stop"}"#))
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    if case let .text(text) = message { received.add(text) }
                }
            }
            let id = received.messages.last.flatMap(object)?["session_id"] as? Int
            let stored = try await client.get("/v1/sessions/\(id ?? 0)")
            let anna = try await client.get("/v1/sessions?learner=%20ANNA")
            let listed = (try? JSONSerialization.jsonObject(with: Data(String(buffer: anna.body).utf8))) as? [[String: Any]] ?? []
            return (received.messages, close, object(String(buffer: stored.body)), listed)
        }
    }

    @Test("a client that sends as fast as it can and reads late is throttled: nothing is dropped, the session completes")
    func slowReaderFastWriter() async throws {
        let (messages, close, _, anna) = try await streamWithoutReading(start: startMessage, frames: try pcmFrames())
        #expect(anna.isEmpty, "no session of Anna here")
        #expect(close?.closeCode == .normalClosure)
        let last = try #require(messages.last.flatMap(object))
        let summary = try #require(last["summary"] as? [String: Any])
        #expect(last["status"] as? String == "complete")
        #expect(summary["dropped_samples"] as? Int == 0)
        #expect(abs((summary["audio_s"] as? Double ?? 0) - 8.34) < 0.1)
    }

    @Test("48 kHz stereo float audio is converted at the source; a named preset, a reference and a learner's name are honoured")
    func stereoFloatWithPresetAndReference() async throws {
        let mono = try AudioLoading.load16kMono(path: recording)
        var bytes = [UInt8]()
        bytes.reserveCapacity(mono.count * 3 * 2 * 4)
        for sample in mono {
            let bits = sample.bitPattern.littleEndian
            let four = [UInt8(bits & 0xff), UInt8((bits >> 8) & 0xff), UInt8((bits >> 16) & 0xff), UInt8(bits >> 24)]
            for _ in 0..<6 { bytes += four }  // three frames at 48 kHz, two channels each
        }
        let frames = stride(from: 0, to: bytes.count, by: 30_001).map { ByteBuffer(bytes: bytes[$0..<min(bytes.count, $0 + 30_001)]) }
        let start = #"{"sample_rate":48000,"encoding":"pcm_f32le","channels":2,"preset":"low-latency","reference":"good morning everyone","learner":" Anna "}"#
        let (messages, close, stored, anna) = try await streamWithoutReading(start: start, frames: frames)
        #expect(anna.count == 1 && anna.first?["learner"] as? String == "Anna", "GET /v1/sessions?learner= lists hers: \(anna)")
        #expect(close?.closeCode == .normalClosure)
        let last = try #require(messages.last.flatMap(object))
        #expect(last["status"] as? String == "complete")
        let summary = try #require(last["summary"] as? [String: Any])
        #expect(abs((summary["audio_s"] as? Double ?? 0) - 8.34) < 0.1)
        #expect(summary["completeness"] is Double)
        let configuration = try #require(stored?["configuration"] as? [String: Any])
        #expect((configuration["preset"] as? String)?.hasSuffix("configs/low-latency.json") == true)
        #expect(configuration["reference"] as? String == "good morning everyone")
        #expect(configuration["learner"] as? String == "Anna", "the learner's name is kept, trimmed")
    }
}

/// How many session starts a stream's messages hold.
func sessionsCount(_ messages: [String]) -> Int { messages.filter { $0.hasPrefix(#"{"session":"#) }.count }

/// The newest stored session's status and error once it has ended (polled through
/// `GET /v1/sessions` for up to 20 s, for a busy machine).
func finalStatusOfNewestSession(_ client: some TestClientProtocol) async throws -> (status: String?, error: String?) {
    var status: String?, error: String?
    for _ in 0..<400 {
        let list = try await client.get("/v1/sessions")
        let sessions = try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [[String: Any]]
        status = sessions?.first?["status"] as? String
        error = sessions?.first?["error"] as? String
        if status != nil && status != "running" { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    return (status, error)
}
