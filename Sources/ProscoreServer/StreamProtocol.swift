import Foundation
import NIOWebSocket
import ProscoreAudio

/// The client's first message on `/v1/stream`: what its audio is and how to score it.
struct StartMessage: Decodable, Sendable {
    /// Hz, channels and sample format of the binary frames that follow.
    let sampleRate: Int
    let encoding: String
    let channels: Int
    /// The text read aloud (read-aloud scoring), a preset by name, a free-speech prompt.
    let reference: String?
    let preset: String?
    let textPrompt: String?
    /// Who is speaking: the session is kept under this name.
    let learner: String?

    enum CodingKeys: String, CodingKey {
        case encoding, channels, reference, preset, learner
        case sampleRate = "sample_rate", textPrompt = "text_prompt"
    }
}

/// Why a stream is closed early: a WebSocket close code and a reason for the client.
///
/// | code | when |
/// | --- | --- |
/// | 1003 unsupported data | audio before the start message; an unsupported encoding, rate or channel count |
/// | 1007 invalid payload | a start or control message that is not the JSON expected |
/// | 1008 policy violation | an unknown control message, a second start message |
/// | 1009 message too big | a text message or an audio frame over the server's limit |
/// | 1011 server error | the session could not be set up or failed |
/// | 1013 try again later | the server is running its maximum of sessions |
struct StreamRejection: Error, Sendable, Equatable {
    let code: WebSocketErrorCode
    let reason: String

    static func unsupported(_ reason: String) -> Self { .init(code: .unacceptableData, reason: reason) }
    static func invalid(_ reason: String) -> Self { .init(code: .dataInconsistentWithMessage, reason: reason) }
    static func policy(_ reason: String) -> Self { .init(code: .policyViolation, reason: reason) }
    static func tooBig(_ reason: String) -> Self { .init(code: .messageTooLarge, reason: reason) }
    static func serverError(_ reason: String) -> Self { .init(code: .unexpectedServerError, reason: reason) }
    static func full(_ reason: String) -> Self { .init(code: .unknown(1013), reason: reason) }

    /// Close reasons are at most 123 bytes of UTF-8.
    var clippedReason: String {
        var r = reason
        while r.utf8.count > 123 { r.removeLast() }
        return r
    }
}

extension StartMessage {
    /// Parses and checks the start message; the encoding as Proscore's type.
    static func parse(_ text: String) throws(StreamRejection) -> (StartMessage, PCMEncoding) {
        let message: StartMessage
        do {
            message = try JSONDecoder().decode(StartMessage.self, from: Data(text.utf8))
        } catch {
            throw .invalid("the start message must be JSON with sample_rate, encoding and channels (\(Self.describe(error)))")
        }
        // A mistyped key ("refrence") would score a reading as free speech without a word.
        let keys = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?.keys.sorted() ?? []
        if let unknown = keys.first(where: { CodingKeys(rawValue: $0) == nil }) {
            throw .invalid("unknown key \"\(unknown)\" in the start message; known: sample_rate, encoding, channels, reference, preset, text_prompt, learner")
        }
        guard let encoding = PCMEncoding(rawValue: message.encoding) else {
            throw .unsupported("encoding \"\(message.encoding)\" is not supported: send pcm_s16le or pcm_f32le")
        }
        guard Resampler.supportedRates.contains(message.sampleRate) else {
            throw .unsupported("sample_rate \(message.sampleRate) is not supported: 4000 to 384000 Hz")
        }
        guard (1...8).contains(message.channels) else {
            throw .unsupported("channels \(message.channels) is not supported: 1 to 8")
        }
        return (message, encoding)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): return "\(key.stringValue) is missing"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        default: return "not valid JSON"
        }
    }
}

/// A control message after the start: only `{"type":"stop"}` exists.
enum ControlMessage {
    static func isStop(_ text: String) throws(StreamRejection) -> Bool {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let type = object["type"] as? String else {
            throw .invalid("control messages are JSON objects with a \"type\": send {\"type\":\"stop\"} to end the stream")
        }
        guard type == "stop" else { throw .policy("unknown message type \"\(type)\": only \"stop\" is understood after the start message") }
        return true
    }
}
