import Foundation

/// The one JSON shape of each pipeline event, as `replay --json` prints it and `serve`
/// sends it over a WebSocket: one object per event, keyed by the event's kind
/// (`session`, `estimate`, `words`, `utterance`, `text_scores`, and `summary` with
/// `status` and, for a failed session, `error`).
public enum EventJSON {
    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// One event as a JSON object on one line. `storePath` is shown with the session's
    /// start; `sessionId`, when given, is repeated in the summary (`session_id`) so that
    /// the last message alone names the stored session.
    public static func line(_ event: PipelineEvent, storePath: String?, sessionId: Int64? = nil) -> String {
        func encoded(_ value: some Encodable) -> String { String(decoding: try! encoder.encode(value), as: UTF8.self) }
        switch event {
        case let .started(id):
            return #"{"session":{"id":"# + (id.map(String.init) ?? "null") + #","store":"# + encoded(storePath) + "}}"
        case let .estimate(e): return #"{"estimate":"# + encoded(e) + "}"
        case let .words(w): return #"{"words":"# + encoded(w) + "}"
        case let .utterance(u): return #"{"utterance":"# + encoded(u) + "}"
        case let .textScores(s): return #"{"text_scores":"# + encoded(s) + "}"
        case let .ended(outcome, summary):
            var reason: String?
            switch outcome {
            case let .failed(r), let .interrupted(r): reason = r
            case .complete, .stopped: break
            }
            return #"{"summary":"# + encoded(summary) + (sessionId.map { #","session_id":\#($0)"# } ?? "")
                + #","status":"# + encoded(outcome.status.rawValue) + (reason.map { #","error":"# + encoded($0) } ?? "") + "}"
        }
    }
}
