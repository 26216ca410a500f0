import Foundation
import ProscorePipeline
import ProscoreStore

/// A stored session as it is listed (`sessions list`, `GET /v1/sessions`): its record,
/// audio seconds and total score, from the summary or else the last stored estimate.
public struct SessionListEntry {
    public let record: SessionRecord
    public let audioSeconds: Double
    /// The total score (0–10), when the session has one.
    public let total: Double?
    /// Who spoke, when the session was given a learner's name.
    public let learner: String?
    /// The summary of an ended session, and the last stored estimate (a session that never
    /// ended has only that), as read for the listing.
    public let summary: SessionSummary?
    public let lastEstimate: Estimate?

    public init(record: SessionRecord, store: any SessionStore) throws {
        self.record = record
        lastEstimate = try store.lastEvent(session: record.id!, kind: .estimate).map { try $0.decode(Estimate.self) }
        summary = try record.summary.map { try JSONDecoder().decode(SessionSummary.self, from: Data($0.utf8)) }
        audioSeconds = summary?.audioSeconds ?? lastEstimate?.audioSeconds ?? 0
        total = (summary?.scores ?? lastEstimate?.scores)?.total
        learner = Self.learner(of: record)
    }

    /// The learner's name a session was given (its settings' `learner`).
    public static func learner(of record: SessionRecord) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(record.configuration.utf8)) as? [String: Any])?["learner"] as? String
    }

    /// Every session of `store`, newest first; with `learner`, that learner's alone (names
    /// compare as `Learner.key`: "Anna" and "anna" are one learner).
    public static func all(in store: any SessionStore, learner: String? = nil) throws -> [SessionListEntry] {
        let wanted = learner.map(Learner.key)
        // Filtered on the records, so that other learners' events are not read.
        return try store.sessions().filter { wanted == nil || Self.learner(of: $0).map(Learner.key) == wanted }
            .map { try SessionListEntry(record: $0, store: store) }
    }

    /// The learners' names in `store`, sorted, for a name that found nothing.
    public static func learnerNames(in store: any SessionStore) -> String {
        // One name a learner, spelt as in their newest session.
        var seen = Set<String>()
        // The records alone: no session's events are read for its name.
        let names = ((try? store.sessions()) ?? []).compactMap(learner(of:)).filter { seen.insert(Learner.key($0)).inserted }
            .sorted { Learner.key($0) < Learner.key($1) }
        return names.isEmpty ? "none (give --learner NAME to replay, live, or the page)" : names.joined(separator: ", ")
    }

    /// The JSON object `sessions list --json` prints per line.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["id": record.id!, "started_at": ISO8601DateFormatter().string(from: record.startedAt),
                                     "audio_s": audioSeconds, "status": record.status.rawValue, "source": record.source,
                                     "model": record.modelPath]
        if let total { object["total"] = total }
        if let learner { object["learner"] = learner }
        if let error = record.error { object["error"] = error }
        return object
    }
}

/// A stored session as one JSON object (`sessions export --format json`,
/// `GET /v1/sessions/{id}`): record, settings, summary and, optionally, every event.
public enum SessionExport {
    public static func jsonObject(store: any SessionStore, id: Int64, includeEvents: Bool = true) throws -> [String: Any] {
        let s = try store.session(id)
        var object: [String: Any] = [
            "id": id, "source": s.source, "model": s.modelPath, "model_fingerprint": s.modelFingerprint,
            "status": s.status.rawValue, "error": s.error ?? NSNull(),
            "started_at": ISO8601DateFormatter().string(from: s.startedAt),
            "ended_at": s.endedAt.map { ISO8601DateFormatter().string(from: $0) } ?? NSNull(),
            "configuration": (try? JSONSerialization.jsonObject(with: Data(s.configuration.utf8))) ?? s.configuration,
            "dropped_samples": s.droppedSamples,
            "summary": s.summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull(),
        ]
        if includeEvents {
            object["events"] = try store.events(session: id).map { e -> [String: Any] in
                ["kind": e.kind.rawValue, "audio_s": e.audioSeconds,
                 "data": (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8))) ?? e.payload]
            }
        }
        return object
    }

    /// `object` as JSON text (keys sorted, slashes unescaped).
    public static func text(_ object: Any, pretty: Bool = false) throws -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: options), as: UTF8.self)
    }
}
