import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Sessions in PostgreSQL, so that several `proscore serve` instances (behind nginx, say)
/// write one history and each lists every session. Same records, statuses and events as
/// `SQLiteSessionStore`, in the tables `proscore_session` and `proscore_event`, created
/// on first use. One connection per store, used by one call at a time, on its own event
/// loop thread: calls block their caller, as SQLite's do.
public final class PostgresSessionStore: SessionStore, @unchecked Sendable {
    public let location: String
    public let isReadOnly: Bool
    private let configuration: PostgresConnection.Configuration
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let logger: Logger
    private let lock = NSLock()
    private var connection: PostgresConnection?
    /// Serialises table creation among instances starting at once.
    private static let migrationLockKey: Int64 = 0x7072_6f73_636f_7265  // "proscore"

    /// Connects to `url` (`postgres://user:password@host:port/database`; no host: the
    /// local server's Unix socket) and, unless `readOnly`, creates the tables if needed.
    public init(url: String, readOnly: Bool = false, origin: String = "--store") throws {
        let parsed = try PostgresLocation(url: url, origin: origin)
        location = parsed.redacted
        isReadOnly = readOnly
        configuration = parsed.configuration
        var logger = Logger(label: "proscore.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        do {
            _ = try connected()
        } catch {
            try? group.syncShutdownGracefully()
            throw StoreError(detail: "\(location): cannot connect (\(Self.reason(error))); \(origin) must name a reachable PostgreSQL database.")
        }
        if readOnly {
            let found = try run("SELECT to_regclass('proscore_session') IS NOT NULL").first.map { try $0.decode(Bool.self) } ?? false
            guard found else {
                throw StoreError(detail: "\(location): no session store here yet (nothing has been recorded); \(origin) names another.")
            }
        } else {
            try migrate()
        }
    }

    deinit {
        try? connection?.close().wait()
        try? group.syncShutdownGracefully()
    }

    public func begin(source: String, modelPath: String, modelFingerprint: String, configuration: String) throws -> Int64 {
        try requireWritable()
        let pid = Int64(getpid()), host = ProcessInfo.processInfo.hostName, now = Date(), running = SessionStatus.running.rawValue
        let rows = try run("""
            INSERT INTO proscore_session (started_at, source, model_path, model_fingerprint, configuration, status, pid, host)
            VALUES (\(now), \(source), \(modelPath), \(modelFingerprint), \(configuration), \(running), \(pid), \(host))
            RETURNING id
            """)
        guard let id = try rows.first?.decode(Int64.self) else { throw StoreError(detail: "\(location): the new session got no id") }
        return id
    }

    public func append(session: Int64, kind: SessionEventKind, audioSeconds: Double, json: String, droppedSamples: Int?) throws {
        try requireWritable()
        let kindName = kind.rawValue, dropped = droppedSamples.map(Int64.init)
        // One round trip per event: the session's row is updated (and so known to exist)
        // in the same statement that adds the event.
        let inserted = try execute("""
            WITH live AS (UPDATE proscore_session SET dropped_samples = COALESCE(\(dropped), dropped_samples)
                          WHERE id = \(session) RETURNING id)
            INSERT INTO proscore_event (session_id, kind, audio_s, payload)
            SELECT id, \(kindName), \(audioSeconds), \(json) FROM live
            """)
        guard inserted > 0 else { throw deletedWhileRunning(session) }
    }

    public func end(session: Int64, status: SessionStatus, summaryJSON: String?, processedSeconds: Double,
                    droppedSamples: Int, error: String?) throws {
        try requireWritable()
        let now = Date(), statusName = status.rawValue, dropped = Int64(droppedSamples)
        try execute("""
            UPDATE proscore_session SET ended_at = \(now), summary = \(summaryJSON), dropped_samples = \(dropped),
                status = \(statusName), error = \(error), processed_s = \(processedSeconds) WHERE id = \(session)
            """)
    }

    public func sessions() throws -> [SessionRecord] {
        try run("SELECT \(unescaped: Self.sessionColumns) FROM proscore_session ORDER BY id DESC").map(Self.record)
    }

    public func session(_ id: Int64) throws -> SessionRecord {
        guard let row = try run("SELECT \(unescaped: Self.sessionColumns) FROM proscore_session WHERE id = \(id)").first else {
            throw noSuchSession(id)
        }
        return try Self.record(row)
    }

    public func events(session: Int64, kind: SessionEventKind?) throws -> [SessionEvent] {
        let rows: [PostgresRow]
        if let kind {
            let kindName = kind.rawValue
            rows = try run("""
                SELECT id, session_id, kind, audio_s, payload FROM proscore_event
                WHERE session_id = \(session) AND kind = \(kindName) ORDER BY id
                """)
        } else {
            rows = try run("SELECT id, session_id, kind, audio_s, payload FROM proscore_event WHERE session_id = \(session) ORDER BY id")
        }
        return try rows.map(Self.event)
    }

    public func lastEvent(session: Int64, kind: SessionEventKind) throws -> SessionEvent? {
        let kindName = kind.rawValue
        return try run("""
            SELECT id, session_id, kind, audio_s, payload FROM proscore_event
            WHERE session_id = \(session) AND kind = \(kindName) ORDER BY id DESC LIMIT 1
            """).first.map(Self.event)
    }

    public func delete(session id: Int64) throws {
        try requireWritable()
        _ = try session(id)
        try execute("DELETE FROM proscore_session WHERE id = \(id)")  // events go with it (ON DELETE CASCADE)
    }

    // MARK: - Schema

    private func migrate() throws {
        let key = Self.migrationLockKey
        try execute("SELECT pg_advisory_lock(\(key))")
        defer { _ = try? execute("SELECT pg_advisory_unlock(\(key))") }
        try execute("""
            CREATE TABLE IF NOT EXISTS proscore_session (
                id BIGSERIAL PRIMARY KEY,
                started_at TIMESTAMPTZ NOT NULL,
                ended_at TIMESTAMPTZ,
                source TEXT NOT NULL,
                model_path TEXT NOT NULL,
                model_fingerprint TEXT NOT NULL,
                configuration TEXT NOT NULL,
                dropped_samples BIGINT NOT NULL DEFAULT 0,
                summary TEXT,
                status TEXT NOT NULL,
                error TEXT,
                pid BIGINT,
                host TEXT,
                processed_s DOUBLE PRECISION)
            """)
        try execute("""
            CREATE TABLE IF NOT EXISTS proscore_event (
                id BIGSERIAL PRIMARY KEY,
                session_id BIGINT NOT NULL REFERENCES proscore_session (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                audio_s DOUBLE PRECISION NOT NULL,
                payload TEXT NOT NULL)
            """)
        try execute("CREATE INDEX IF NOT EXISTS proscore_event_session ON proscore_event (session_id, kind, id)")
    }

    private static let sessionColumns = """
        id, started_at, ended_at, source, model_path, model_fingerprint, configuration, dropped_samples, summary, \
        status, error, pid, host, processed_s
        """

    private static func record(_ row: PostgresRow) throws -> SessionRecord {
        let (id, startedAt, endedAt, source, modelPath, fingerprint, configuration, dropped, summary,
             status, error, pid, host, processed) = try row.decode(
                (Int64, Date, Date?, String, String, String, String, Int64, String?, String, String?, Int64?, String?, Double?).self)
        return SessionRecord(
            id: id, startedAt: startedAt, endedAt: endedAt, source: source, modelPath: modelPath, modelFingerprint: fingerprint,
            configuration: configuration, droppedSamples: Int(dropped), summary: summary,
            storedStatus: SessionStatus(rawValue: status) ?? .failed, error: error, processId: pid.map { Int32(truncatingIfNeeded: $0) },
            hostName: host, processedSeconds: processed)
    }

    private static func event(_ row: PostgresRow) throws -> SessionEvent {
        let (id, session, kind, audioSeconds, payload) = try row.decode((Int64, Int64, String, Double, String).self)
        guard let kind = SessionEventKind(rawValue: kind) else {
            throw StoreError(detail: "event \(id) of session \(session) has an unknown kind '\(kind)'")
        }
        return SessionEvent(id: id, sessionId: session, kind: kind, audioSeconds: audioSeconds, payload: payload)
    }

    // MARK: - The connection

    private func requireWritable() throws {
        if isReadOnly { throw readOnlyError() }
    }

    /// The open connection, reopened when the server closed it (a restart, an idle timeout).
    private func connected() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let opened = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1, logger: logger).wait()
        connection = opened
        return opened
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    private func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        try result(of: query).rows
    }

    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    private func execute(_ query: PostgresQuery) throws -> Int {
        try result(of: query).metadata.rows ?? 0
    }

    private func result(of query: PostgresQuery) throws -> PostgresQueryResult {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try connected().query(query, logger: logger).wait()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(detail: "\(location): \(Self.reason(error))")
        }
    }

    /// What went wrong, in PostgreSQL's words where it said something.
    static func reason(_ error: Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// A `postgres://` (or `postgresql://`) URL taken apart.
struct PostgresLocation {
    let configuration: PostgresConnection.Configuration
    /// The URL without its password, for messages and listings.
    let redacted: String

    static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    init(url: String, origin: String) throws {
        guard Self.isPostgres(url), let parts = URLComponents(string: url) else {
            throw StoreError(detail: "\(origin): '\(url)' is not a PostgreSQL URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
        }
        let user = parts.user.map { $0.removingPercentEncoding ?? $0 } ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let password = parts.password.map { $0.removingPercentEncoding ?? $0 }
        let database = parts.path.isEmpty || parts.path == "/" ? user : String(parts.path.dropFirst())
        let port = parts.port ?? 5432
        let query = Dictionary((parts.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        if let mode = query["sslmode"], !["disable", "allow", "prefer"].contains(mode) {
            throw StoreError(detail: "\(origin): sslmode=\(mode) is not supported: Proscore connects without TLS (loopback, a Unix socket or a private network).")
        }
        let host = parts.host.map { $0.removingPercentEncoding ?? $0 } ?? query["host"] ?? ""
        if host.isEmpty || host.hasPrefix("/") {
            let directory = host.isEmpty ? "/var/run/postgresql" : host
            configuration = .init(unixSocketPath: "\(directory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: user, password: password, database: database, tls: .disable)
        }
        var shown = parts
        if shown.password != nil { shown.password = "***" }
        redacted = shown.string ?? "postgres://…"
    }
}
