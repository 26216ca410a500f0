import Foundation
import GRDB

/// Sessions in SQLite (WAL), under `$XDG_DATA_HOME/proscore` unless told otherwise. Every
/// event is committed as it is added, so a killed process loses at most the one in flight.
/// Several processes may write one store at once: writers wait for each other (busy
/// timeout) and retry, so none loses an event.
public final class SQLiteSessionStore: SessionStore, @unchecked Sendable {
    public let path: String
    public var location: String { path }
    public let isReadOnly: Bool
    private let queue: DatabaseQueue
    /// How long a writer waits for another's transaction before retrying.
    static let busyTimeoutSeconds = 5.0
    static let writeAttempts = 6

    /// Where the default store is and what decided it: `$PROSCORE_STORE`, else
    /// `$XDG_DATA_HOME/proscore/sessions.sqlite`, else `$HOME/.local/share/proscore/…`.
    public static var defaultLocation: (path: String, origin: String) {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["PROSCORE_STORE"], !explicit.isEmpty { return (explicit, "$PROSCORE_STORE") }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return (xdg + "/proscore/sessions.sqlite", "$XDG_DATA_HOME") }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home + "/.local/share/proscore/sessions.sqlite", "$HOME")
    }

    public static var defaultPath: String { defaultLocation.path }

    /// Opens (creating when writable) the store at `path`. `readOnly` opens an existing
    /// store for listing and reports without writing to it (a store on read-only media, or
    /// someone else's). `origin` names where the path came from, for error messages.
    public init(path: String = SQLiteSessionStore.defaultPath, readOnly: Bool = false, origin: String = "--store") throws {
        guard !path.isEmpty else { throw StoreError(detail: "The session store path is empty; pass --store FILE or set PROSCORE_STORE.") }
        self.path = path
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StoreError(detail: "\(path) is a folder; \(origin) names the store's file (e.g. \((path as NSString).appendingPathComponent("sessions.sqlite"))) or a postgres:// URL.")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeoutSeconds)
        var readOnlyNow = readOnly
        if !readOnly, fm.fileExists(atPath: path), !fm.isWritableFile(atPath: path) { readOnlyNow = true }
        if readOnlyNow {
            guard fm.fileExists(atPath: path) else {
                throw StoreError(detail: "\(path): no session store here yet (nothing has been recorded); \(origin) names another.")
            }
            configuration.readonly = true
        } else {
            // A bare file name lives in the current folder, which exists.
            let folder = (path as NSString).deletingLastPathComponent
            do {
                if !folder.isEmpty { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            } catch {
                throw StoreError(detail: "\(path): cannot create its folder (\(Self.reason(error))); \(origin) must name a writable file.")
            }
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        }
        isReadOnly = readOnlyNow
        // Switching a new database to WAL takes an exclusive lock that a second process
        // opening it at the same moment can meet without waiting: retry that too.
        var opened: DatabaseQueue?
        for attempt in 0...Self.writeAttempts {
            do {
                opened = try DatabaseQueue(path: path, configuration: configuration)
                break
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
                && attempt < Self.writeAttempts {
                usleep(useconds_t(20_000 * (attempt + 1)))
            } catch {
                throw StoreError(detail: "\(path): cannot open the session store (\(Self.reason(error))); \(origin) must name a writable SQLite file.")
            }
        }
        guard let opened else { throw StoreError(detail: "\(path): the session store stayed locked; try again.") }
        queue = opened
        if readOnlyNow { return }
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
        migrator.registerMigration("v2 status") { db in
            try db.alter(table: "session") { t in
                t.add(column: "status", .text).notNull().defaults(to: SessionStatus.complete.rawValue)
                t.add(column: "error", .text)
                t.add(column: "pid", .integer)
                t.add(column: "host", .text)
                t.add(column: "processed_s", .double)
            }
            // Sessions of v1 that never ended: their process is long gone.
            try db.execute(sql: "UPDATE session SET status = ? WHERE ended_at IS NULL", arguments: [SessionStatus.interrupted.rawValue])
        }
        // Two processes opening a new store at once both see it unmigrated; the loser's
        // migration fails on the winner's tables and succeeds when retried.
        var attempt = 0
        while true {
            do {
                try migrator.migrate(queue)
                break
            } catch where attempt < Self.writeAttempts {
                attempt += 1
                usleep(useconds_t(10_000 * attempt))
            } catch {
                throw StoreError(detail: "\(path): cannot prepare the session store (\(Self.reason(error))).")
            }
        }
    }

    /// Starts a session as `running` for this process; returns its id.
    public func begin(source: String, modelPath: String, modelFingerprint: String, configuration: String) throws -> Int64 {
        try requireWritable()
        return try write { db in
            let record = SessionRecord(
                id: nil, startedAt: Date(), endedAt: nil, source: source, modelPath: modelPath,
                modelFingerprint: modelFingerprint, configuration: configuration, droppedSamples: 0, summary: nil,
                storedStatus: .running, error: nil, processId: getpid(), hostName: ProcessInfo.processInfo.hostName,
                processedSeconds: nil)
            try record.insert(db)
            return db.lastInsertedRowID
        }
    }

    public func append(session: Int64, kind: SessionEventKind, audioSeconds: Double, json: String, droppedSamples: Int?) throws {
        try requireWritable()
        try write { db in
            guard try SessionRecord.exists(db, key: session) else { throw self.deletedWhileRunning(session) }
            try SessionEvent(id: nil, sessionId: session, kind: kind, audioSeconds: audioSeconds, payload: json).insert(db)
            if let droppedSamples {
                try db.execute(sql: "UPDATE session SET dropped_samples = ? WHERE id = ?", arguments: [droppedSamples, session])
            }
        }
    }

    public func end(session: Int64, status: SessionStatus, summaryJSON: String?, processedSeconds: Double,
                    droppedSamples: Int, error: String?) throws {
        try requireWritable()
        try write { db in
            try db.execute(
                sql: "UPDATE session SET ended_at = ?, summary = ?, dropped_samples = ?, status = ?, error = ?, processed_s = ? WHERE id = ?",
                arguments: [Date(), summaryJSON, droppedSamples, status.rawValue, error, processedSeconds, session])
        }
    }

    /// SQLite's journal mode ("wal").
    public var journalMode: String {
        (try? queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }) ?? nil ?? "unknown"
    }

    public func sessions() throws -> [SessionRecord] {
        try read { db in try SessionRecord.order(Column("id").desc).fetchAll(db) }
    }

    public func session(_ id: Int64) throws -> SessionRecord {
        guard let s = try read({ db in try SessionRecord.fetchOne(db, key: id) }) else { throw noSuchSession(id) }
        return s
    }

    public func events(session: Int64, kind: SessionEventKind?) throws -> [SessionEvent] {
        try read { db in
            var request = SessionEvent.filter(Column("session_id") == session)
            if let kind { request = request.filter(Column("kind") == kind.rawValue) }
            return try request.order(Column("id")).fetchAll(db)
        }
    }

    /// The last event of `kind` (the session's latest estimate, say), without reading the rest.
    public func lastEvent(session: Int64, kind: SessionEventKind) throws -> SessionEvent? {
        try read { db in
            try SessionEvent.filter(Column("session_id") == session && Column("kind") == kind.rawValue)
                .order(Column("id").desc).fetchOne(db)
        }
    }

    public func delete(session id: Int64) throws {
        try requireWritable()
        _ = try self.session(id)
        try write { db in
            try db.execute(sql: "DELETE FROM event WHERE session_id = ?", arguments: [id])
            _ = try SessionRecord.deleteOne(db, key: id)
        }
    }

    // MARK: - Access with waiting and retry

    private func requireWritable() throws {
        if isReadOnly { throw readOnlyError() }
    }

    /// A write transaction, retried when another process holds the lock past the busy timeout.
    private func write<T>(_ body: @escaping (Database) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try queue.write(body)
            } catch let error as DatabaseError where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
                && attempt < Self.writeAttempts {
                attempt += 1
                usleep(useconds_t(20_000 * attempt))
            }
        }
    }

    private func read<T>(_ body: @escaping (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as DatabaseError {
            throw StoreError(detail: "\(path): cannot read the session store (\(Self.reason(error))).")
        }
    }

    static func reason(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        if let e = error as? CocoaError, let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }
}

extension SessionRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "session"
}

extension SessionEvent: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "event"
}
