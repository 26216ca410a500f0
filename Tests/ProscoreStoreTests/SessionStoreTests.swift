import Foundation
import Testing
import GRDB
@testable import ProscoreStore

struct Payload: Codable, Equatable { let value: Double }

func storePath() -> String {
    NSTemporaryDirectory() + "proscore-store-" + UUID().uuidString + "/sessions.sqlite"
}

@Suite("session store on real SQLite")
struct SessionStoreTests {
    @Test("sessions are created, filled event by event, ended, listed, read back and deleted")
    func lifecycle() throws {
        let store = try SQLiteSessionStore(path: storePath())
        let id = try store.begin(source: "recordings/a.flac", modelPath: "/nonexistent", modelFingerprint: "0", configuration: #"{"chunk_ms":640}"#)
        for i in 0..<5 { try store.append(session: id, kind: .estimate, audioSeconds: Double(i) * 0.64, payload: Payload(value: Double(i))) }
        try store.append(session: id, kind: .word, audioSeconds: 1, payload: Payload(value: 9), droppedSamples: 12)
        #expect(try store.session(id).droppedSamples == 12)
        #expect(try store.session(id).endedAt == nil)
        #expect(try store.session(id).status == .running)
        try store.end(session: id, status: .complete, summary: Payload(value: 42), processedSeconds: 2.56, droppedSamples: 20)
        let s = try store.session(id)
        #expect(s.endedAt != nil && s.summary == #"{"value":42}"# && s.droppedSamples == 20 && s.status == .complete)
        let estimates = try store.events(session: id, kind: .estimate)
        #expect(estimates.map(\.audioSeconds) == [0, 0.64, 1.28, 1.92, 2.56])
        #expect(try JSONDecoder().decode(Payload.self, from: Data(estimates[3].payload.utf8)) == Payload(value: 3))
        #expect(try store.sessions().map(\.id) == [id])
        try store.delete(session: id)
        #expect(try store.sessions().isEmpty)
        #expect(throws: StoreError.self) { _ = try store.session(id) }
    }

    @Test("the database is in WAL mode and survives reopening")
    func walAndReopen() throws {
        let path = storePath()
        let id: Int64
        do {
            let store = try SQLiteSessionStore(path: path)
            id = try store.begin(source: "mic", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
            try store.append(session: id, kind: .estimate, audioSeconds: 0.5, payload: Payload(value: 1))
            #expect(store.journalMode == "wal")
        }
        let reopened = try SQLiteSessionStore(path: path)
        #expect(try reopened.events(session: id).count == 1)
    }

    @Test("the default location follows PROSCORE_STORE and XDG_DATA_HOME")
    func location() {
        #expect(SQLiteSessionStore.defaultPath.hasSuffix("proscore/sessions.sqlite") || ProcessInfo.processInfo.environment["PROSCORE_STORE"] != nil)
    }

    @Test("a session whose process died reads back as interrupted; stopped and failed ones keep their status and error")
    func statuses() throws {
        let path = storePath()
        let store = try SQLiteSessionStore(path: path)
        let dead = try store.begin(source: "a", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        // A process id that cannot be alive: the session's writer is gone.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE session SET pid = ? WHERE id = ?", arguments: [Int32.max, dead]) }
        #expect(try store.session(dead).status == .interrupted)
        let stopped = try store.begin(source: "b", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try store.end(session: stopped, status: .stopped, summary: Payload(value: 1), processedSeconds: 3.5, droppedSamples: 0)
        #expect(try store.session(stopped).status == .stopped && store.session(stopped).processedSeconds == 3.5)
        let failed = try store.begin(source: "c", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try store.end(session: failed, status: .failed, summary: Optional<Payload>.none, processedSeconds: 0, droppedSamples: 0, error: "device lost")
        #expect(try store.session(failed).status == .failed && store.session(failed).error == "device lost")
    }

    @Test("an event for a session deleted meanwhile is refused with a clear error, not a foreign-key warning")
    func deletedWhileRunning() throws {
        let store = try SQLiteSessionStore(path: storePath())
        let id = try store.begin(source: "a", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        try store.append(session: id, kind: .estimate, audioSeconds: 0.5, payload: Payload(value: 1))
        try SQLiteSessionStore(path: store.path).delete(session: id)
        #expect { try store.append(session: id, kind: .estimate, audioSeconds: 1, payload: Payload(value: 2)) } throws: { error in
            "\(error)".contains("deleted")
        }
    }

    @Test("four writers on one store at once all keep every event")
    func concurrentWriters() async throws {
        let path = storePath()
        _ = try SQLiteSessionStore(path: path)
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for w in 0..<4 {
                group.addTask {
                    let store = try SQLiteSessionStore(path: path)  // a connection of its own, as another process has
                    let id = try store.begin(source: "writer \(w)", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
                    for i in 0..<200 { try store.append(session: id, kind: .estimate, audioSeconds: Double(i), payload: Payload(value: Double(i))) }
                    try store.end(session: id, status: .complete, summary: Payload(value: 0), processedSeconds: 200, droppedSamples: 0)
                    return id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let store = try SQLiteSessionStore(path: path)
        for id in ids { #expect(try store.events(session: id).count == 200 && store.session(id).status == .complete) }
    }

    @Test("a read-only store can be listed but not written, and says so")
    func readOnly() throws {
        let path = storePath()
        let id = try SQLiteSessionStore(path: path).begin(source: "a", modelPath: "/m", modelFingerprint: "0", configuration: "{}")
        let store = try SQLiteSessionStore(path: path, readOnly: true)
        #expect(try store.sessions().map(\.id) == [id])
        #expect { try store.delete(session: id) } throws: { "\($0)".contains("read-only") }
    }

    @Test("an empty store path is a clear error")
    func emptyPath() {
        #expect { _ = try SQLiteSessionStore(path: "") } throws: { "\($0)".contains("--store") }
    }

    @Test("an unwritable location is a clear error")
    func unwritable() {
        #expect(throws: (any Error).self) { _ = try SQLiteSessionStore(path: "/proc/proscore/sessions.sqlite") }
    }
}
