import Foundation
import GRDB

/// A session as listed: when, from what, with which model, and how it ended.
public struct SessionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "session"
    public var id: Int64?
    public var startedAt: Date
    public var endedAt: Date?
    public var source: String
    public var modelPath: String
    /// Fingerprint of the model files (size, config.json and the safetensors header).
    public var modelFingerprint: String
    /// The settings used, as JSON.
    public var configuration: String
    public var droppedSamples: Int
    /// The final summary, as JSON (nil while running, or if the process died).
    public var summary: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, source, configuration, summary
        case startedAt = "started_at", endedAt = "ended_at", modelPath = "model_path"
        case modelFingerprint = "model_fingerprint", droppedSamples = "dropped_samples"
    }
}

/// One stored event of a session: an estimate, a word, an utterance or text scores, as JSON.
public struct SessionEvent: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "event"
    public var id: Int64?
    public var sessionId: Int64
    /// "estimate", "word", "utterance" or "text_scores".
    public var kind: String
    /// Seconds of audio into the session the event refers to.
    public var audioSeconds: Double
    public var payload: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, payload
        case sessionId = "session_id", audioSeconds = "audio_s"
    }
}

public struct StoreError: Error, CustomStringConvertible, LocalizedError {
    public let detail: String
    public var description: String { detail }
    public var errorDescription: String? { detail }
}

/// Sessions in SQLite (WAL), under `$XDG_DATA_HOME/proscore` unless told otherwise. Every
/// event is committed as it is added, so a killed process loses at most the one in flight.
public final class SessionStore: @unchecked Sendable {
    public let path: String
    private let queue: DatabaseQueue

    /// `$PROSCORE_STORE`, else `$XDG_DATA_HOME/proscore/sessions.sqlite`, else
    /// `~/.local/share/proscore/sessions.sqlite`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["PROSCORE_STORE"], !explicit.isEmpty { return explicit }
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return ((base as NSString).appendingPathComponent("proscore") as NSString).appendingPathComponent("sessions.sqlite")
    }

    public init(path: String = SessionStore.defaultPath) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreError(detail: "\(path): cannot open the session store (\(error)). Set PROSCORE_STORE to a writable file.")
        }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "session") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("started_at", .datetime).notNull()
                t.column("ended_at", .datetime)
                t.column("source", .text).notNull()
                t.column("model_path", .text).notNull()
                t.column("model_fingerprint", .text).notNull()
                t.column("configuration", .text).notNull()
                t.column("dropped_samples", .integer).notNull().defaults(to: 0)
                t.column("summary", .text)
            }
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("session_id", .integer).notNull().indexed().references("session", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("audio_s", .double).notNull()
                t.column("payload", .text).notNull()
            }
        }
        try migrator.migrate(queue)
    }

    /// Starts a session; returns its id.
    public func begin(source: String, modelPath: String, configuration: String) throws -> Int64 {
        try queue.write { db in
            let record = SessionRecord(id: nil, startedAt: Date(), endedAt: nil, source: source, modelPath: modelPath,
                                       modelFingerprint: Self.fingerprint(modelDirectory: modelPath),
                                       configuration: configuration, droppedSamples: 0, summary: nil)
            try record.insert(db)
            return db.lastInsertedRowID
        }
    }

    /// Adds one event in its own transaction (committed on return).
    public func append(session: Int64, kind: String, audioSeconds: Double, payload: some Encodable, droppedSamples: Int? = nil) throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(payload), as: UTF8.self)
        try queue.write { db in
            try SessionEvent(id: nil, sessionId: session, kind: kind, audioSeconds: audioSeconds, payload: json).insert(db)
            if let droppedSamples {
                try db.execute(sql: "UPDATE session SET dropped_samples = ? WHERE id = ?", arguments: [droppedSamples, session])
            }
        }
    }

    /// Ends a session with its summary.
    public func end(session: Int64, summary: some Encodable, droppedSamples: Int) throws {
        let json = String(decoding: try JSONEncoder.sorted.encode(summary), as: UTF8.self)
        try queue.write { db in
            try db.execute(sql: "UPDATE session SET ended_at = ?, summary = ?, dropped_samples = ? WHERE id = ?",
                           arguments: [Date(), json, droppedSamples, session])
        }
    }

    /// SQLite's journal mode ("wal").
    public var journalMode: String {
        (try? queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }) ?? nil ?? "unknown"
    }

    public func sessions() throws -> [SessionRecord] {
        try queue.read { db in try SessionRecord.order(Column("id").desc).fetchAll(db) }
    }

    public func session(_ id: Int64) throws -> SessionRecord {
        guard let s = try queue.read({ db in try SessionRecord.fetchOne(db, key: id) }) else {
            throw StoreError(detail: "No session \(id) in \(path); `proscore sessions list` shows them.")
        }
        return s
    }

    public func events(session: Int64, kind: String? = nil) throws -> [SessionEvent] {
        try queue.read { db in
            var request = SessionEvent.filter(Column("session_id") == session)
            if let kind { request = request.filter(Column("kind") == kind) }
            return try request.order(Column("id")).fetchAll(db)
        }
    }

    public func delete(session id: Int64) throws {
        _ = try self.session(id)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM event WHERE session_id = ?", arguments: [id])
            _ = try SessionRecord.deleteOne(db, key: id)
        }
    }

    /// Size of the weights, config.json and the safetensors header, hashed (FNV-1a 64):
    /// tells two checkpoints apart without reading hundreds of megabytes.
    public static func fingerprint(modelDirectory: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 } }
        let weights = (modelDirectory as NSString).appendingPathComponent("model.safetensors")
        if let size = (try? FileManager.default.attributesOfItem(atPath: weights))?[.size] as? Int { mix(String(size).utf8) }
        if let config = FileManager.default.contents(atPath: (modelDirectory as NSString).appendingPathComponent("config.json")) { mix(config) }
        if let handle = FileHandle(forReadingAtPath: weights) {
            mix(handle.readData(ofLength: 1 << 16))
            try? handle.close()
        }
        return String(format: "%016llx", h)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
