import Foundation

/// Where sessions are kept: a record per session and its events in order, each committed
/// as it is added, so a killed process loses at most the event in flight. Two engines:
/// `SQLiteSessionStore` (a file, the default) and `PostgresSessionStore` (a server that
/// several `proscore serve` instances share). `SessionStores.open` picks one by location.
///
/// Calls block the calling thread until the engine has answered; call them off event loops.
public protocol SessionStore: AnyObject, Sendable {
    /// Where the store is, for messages: a file path, or a PostgreSQL URL without its password.
    var location: String { get }
    /// Opened for listing and reports only.
    var isReadOnly: Bool { get }

    /// Starts a session as `running` for this process; returns its id.
    func begin(source: String, modelPath: String, modelFingerprint: String, configuration: String) throws -> Int64
    /// Adds one event (its payload already JSON), committed on return; fails with a clear
    /// error when the session was deleted meanwhile.
    func append(session: Int64, kind: SessionEventKind, audioSeconds: Double, json: String, droppedSamples: Int?) throws
    /// Ends a session: its final status, the summary as JSON, and a failed one's error.
    func end(session: Int64, status: SessionStatus, summaryJSON: String?, processedSeconds: Double,
             droppedSamples: Int, error: String?) throws
    /// Every session, newest first.
    func sessions() throws -> [SessionRecord]
    /// One session; a clear error when there is none with that id.
    func session(_ id: Int64) throws -> SessionRecord
    /// A session's events in the order they were added, of one kind or all.
    func events(session: Int64, kind: SessionEventKind?) throws -> [SessionEvent]
    /// The last event of `kind` (the session's latest estimate, say), without reading the rest.
    func lastEvent(session: Int64, kind: SessionEventKind) throws -> SessionEvent?
    /// Deletes a session and its events.
    func delete(session id: Int64) throws
}

extension SessionStore {
    /// Adds one event, encoding `payload` as JSON with sorted keys.
    public func append(session: Int64, kind: SessionEventKind, audioSeconds: Double, payload: some Encodable,
                       droppedSamples: Int? = nil) throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(payload), as: UTF8.self)
        try append(session: session, kind: kind, audioSeconds: audioSeconds, json: json, droppedSamples: droppedSamples)
    }

    /// Ends a session (`complete`, `stopped`, `interrupted` when its client went away, or
    /// `failed`) with its summary, if any.
    public func end(session: Int64, status: SessionStatus, summary: (some Encodable)?, processedSeconds: Double,
                    droppedSamples: Int, error: String? = nil) throws {
        precondition(status != .running, "a session ends complete, stopped, interrupted or failed")
        let json = try summary.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) }
        try end(session: session, status: status, summaryJSON: json, processedSeconds: processedSeconds,
                droppedSamples: droppedSamples, error: error)
    }

    /// All of a session's events, in order.
    public func events(session: Int64) throws -> [SessionEvent] {
        try events(session: session, kind: nil)
    }

    /// The error for a session id with no session.
    /// Nil when the store answers a query (the last event of a session that cannot exist),
    /// else why not: a PostgreSQL server gone, a database file removed.
    public func unavailability() -> String? {
        do {
            _ = try lastEvent(session: -1, kind: .estimate)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func noSuchSession(_ id: Int64) -> StoreError {
        StoreError(detail: "No session \(id) in \(location); `proscore sessions list` with the same --store shows them.")
    }

    /// The error for an event added to a deleted session.
    func deletedWhileRunning(_ id: Int64) -> StoreError {
        StoreError(detail: "session \(id) was deleted from \(location) while it was running; nothing more is recorded.")
    }

    /// The error for a write to a store opened for reading.
    func readOnlyError() -> StoreError {
        StoreError(detail: "\(location) is read-only here: sessions can be listed and reported, not recorded or deleted.")
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
