import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Testing
@testable import ProscoreStore

/// The PostgreSQL server the tests use: `PROSCORE_TEST_POSTGRES`, which `make test` (and so
/// `.ci/run`) sets after starting Debian's server with tools/ci/start_services.sh.
let testPostgresURL = ProcessInfo.processInfo.environment["PROSCORE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

/// A database of its own for one test, dropped at the end: tables created from nothing.
struct ThrowawayDatabase {
    let url: String
    private let name: String

    init() throws {
        name = "proscore_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try adminSQL("CREATE DATABASE \(name)")
        var parts = URLComponents(string: testPostgresURL!)!
        parts.path = "/" + name
        url = parts.string!
    }

    func drop() { try? adminSQL("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}

/// Runs one statement on the test server's database, outside the store under test.
func adminSQL(_ sql: String) throws {
    let parts = URLComponents(string: testPostgresURL!)!
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let configuration = PostgresConnection.Configuration(
        host: parts.host!, port: parts.port ?? 5432, username: parts.user!, password: parts.password,
        database: String(parts.path.dropFirst()), tls: .disable)
    let connection = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: 9,
                                                    logger: Logger(label: "test")).wait()
    defer { try? connection.close().wait() }
    _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")).wait()
}

@Suite("session store on real PostgreSQL", .enabled(if: testPostgresURL != nil, "set PROSCORE_TEST_POSTGRES (make test does)"))
struct PostgresSessionStoreTests {
    @Test("sessions are created, filled event by event, ended, listed, read back and deleted")
    func lifecycle() throws {
        let store = try PostgresSessionStore(url: testPostgresURL!)
        let id = try store.begin(source: "recordings/a.flac", modelPath: "/nonexistent", modelFingerprint: "0", configuration: #"{"chunk_ms":640}"#)
        for i in 0..<5 { try store.append(session: id, kind: .estimate, audioSeconds: Double(i) * 0.64, payload: Payload(value: Double(i))) }
        try store.append(session: id, kind: .word, audioSeconds: 1, payload: Payload(value: 9), droppedSamples: 12)
        #expect(try store.session(id).droppedSamples == 12)
        #expect(try store.session(id).endedAt == nil)
        #expect(try store.session(id).status == .running)
        #expect(try store.session(id).source == "recordings/a.flac")
        try store.end(session: id, status: .complete, summary: Payload(value: 42), processedSeconds: 2.56, droppedSamples: 20)
        let s = try store.session(id)
        #expect(s.endedAt != nil && s.summary == #"{"value":42}"# && s.droppedSamples == 20 && s.status == .complete)
        #expect(s.processedSeconds == 2.56 && s.configuration == #"{"chunk_ms":640}"#)
        let estimates = try store.events(session: id, kind: .estimate)
        #expect(estimates.map(\.audioSeconds) == [0, 0.64, 1.28, 1.92, 2.56])
        #expect(try estimates[3].decode(Payload.self) == Payload(value: 3))
        #expect(try store.events(session: id).map(\.kind) == Array(repeating: .estimate, count: 5) + [.word])
        #expect(try store.lastEvent(session: id, kind: .estimate)?.audioSeconds == 2.56)
        #expect(try store.sessions().contains { $0.id == id })
        try store.delete(session: id)
        #expect(try !store.sessions().contains { $0.id == id })
        #expect(try store.events(session: id).isEmpty)
        #expect { _ = try store.session(id) } throws: { "\($0)".contains("No session \(id)") }
    }

    @Test("a session written by one store is seen, ended and deleted through another (two servers, one history)")
    func twoInstances() throws {
        let a = try PostgresSessionStore(url: testPostgresURL!)
        let b = try PostgresSessionStore(url: testPostgresURL!)
        let id = try a.begin(source: "websocket 127.0.0.1:1", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try a.append(session: id, kind: .estimate, audioSeconds: 0.64, payload: Payload(value: 1))
        #expect(try b.sessions().contains { $0.id == id && $0.status == .running })
        #expect(try b.events(session: id).count == 1)
        try a.end(session: id, status: .complete, summary: Payload(value: 2), processedSeconds: 0.64, droppedSamples: 0)
        #expect(try b.session(id).status == .complete)
        try b.delete(session: id)
        #expect { try a.append(session: id, kind: .estimate, audioSeconds: 1, payload: Payload(value: 2)) } throws: { error in
            "\(error)".contains("deleted")
        }
    }

    @Test("a running session whose process died reads back as interrupted; stopped and failed ones keep status and error")
    func statuses() throws {
        let store = try PostgresSessionStore(url: testPostgresURL!)
        let dead = try store.begin(source: "a", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try adminSQL("UPDATE proscore_session SET pid = \(Int32.max) WHERE id = \(dead)")  // no such process
        #expect(try store.session(dead).status == .interrupted)
        let stopped = try store.begin(source: "b", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try store.end(session: stopped, status: .stopped, summary: Payload(value: 1), processedSeconds: 3.5, droppedSamples: 0)
        #expect(try store.session(stopped).status == .stopped && store.session(stopped).processedSeconds == 3.5)
        let failed = try store.begin(source: "c", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try store.end(session: failed, status: .failed, summary: Optional<Payload>.none, processedSeconds: 0, droppedSamples: 0, error: "device lost")
        #expect(try store.session(failed).status == .failed && store.session(failed).error == "device lost")
        #expect(try store.session(failed).summary == nil)
        for id in [dead, stopped, failed] { try store.delete(session: id) }
    }

    @Test("four stores created at once on a new database migrate once and keep every event of their writers")
    func concurrentWritersOnANewDatabase() async throws {
        let database = try ThrowawayDatabase()
        defer { database.drop() }
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for w in 0..<4 {
                group.addTask {
                    let store = try PostgresSessionStore(url: database.url)  // its own connection, as another server has
                    let id = try store.begin(source: "writer \(w)", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
                    for i in 0..<100 { try store.append(session: id, kind: .estimate, audioSeconds: Double(i), payload: Payload(value: Double(i))) }
                    try store.end(session: id, status: .complete, summary: Payload(value: 0), processedSeconds: 100, droppedSamples: 0)
                    return id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let store = try PostgresSessionStore(url: database.url, readOnly: true)
        #expect(try store.sessions().compactMap(\.id).sorted() == ids.sorted())
        for id in ids { #expect(try store.events(session: id).count == 100 && store.session(id).status == .complete) }
    }

    @Test("read-only: a database with no store yet says so; an existing one lists but refuses writes")
    func readOnly() throws {
        let database = try ThrowawayDatabase()
        defer { database.drop() }
        #expect { _ = try PostgresSessionStore(url: database.url, readOnly: true) } throws: { "\($0)".contains("no session store here yet") }
        let id = try PostgresSessionStore(url: database.url).begin(source: "a", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        let store = try PostgresSessionStore(url: database.url, readOnly: true)
        #expect(try store.sessions().map(\.id) == [id])
        #expect { try store.delete(session: id) } throws: { "\($0)".contains("read-only") }
    }

    @Test("bad locations are clear errors that hide the password; SessionStores.open picks the engine by the URL")
    func locations() throws {
        var wrong = URLComponents(string: testPostgresURL!)!
        wrong.password = "not-the-password"
        #expect { _ = try PostgresSessionStore(url: wrong.string!) } throws: { error in
            let text = "\(error)"
            return text.contains("password authentication failed") && !text.contains("not-the-password") && text.contains("***")
        }
        var closed = URLComponents(string: testPostgresURL!)!
        closed.port = 1
        #expect { _ = try PostgresSessionStore(url: closed.string!) } throws: { "\($0)".contains("cannot connect") }
        #expect { _ = try PostgresSessionStore(url: testPostgresURL! + "?sslmode=require") } throws: { "\($0)".contains("sslmode") }
        #expect(try SessionStores.open(testPostgresURL!) is PostgresSessionStore)
        #expect(try SessionStores.open(storePath()) is SQLiteSessionStore)
        #expect(try SessionStores.open(testPostgresURL!).location.contains("***"))
    }
}
