import Foundation
import Testing
@testable import ProscoreStore

struct Payload: Codable, Equatable { let value: Double }

func storePath() -> String {
    NSTemporaryDirectory() + "proscore-store-" + UUID().uuidString + "/sessions.sqlite"
}

@Suite("session store on real SQLite")
struct SessionStoreTests {
    @Test("sessions are created, filled event by event, ended, listed, read back and deleted")
    func lifecycle() throws {
        let store = try SessionStore(path: storePath())
        let id = try store.begin(source: "recordings/a.flac", modelPath: "/nonexistent", configuration: #"{"chunk_ms":640}"#)
        for i in 0..<5 { try store.append(session: id, kind: "estimate", audioSeconds: Double(i) * 0.64, payload: Payload(value: Double(i))) }
        try store.append(session: id, kind: "word", audioSeconds: 1, payload: Payload(value: 9), droppedSamples: 12)
        #expect(try store.session(id).droppedSamples == 12)
        #expect(try store.session(id).endedAt == nil)
        try store.end(session: id, summary: Payload(value: 42), droppedSamples: 20)
        let s = try store.session(id)
        #expect(s.endedAt != nil && s.summary == #"{"value":42}"# && s.droppedSamples == 20)
        let estimates = try store.events(session: id, kind: "estimate")
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
            let store = try SessionStore(path: path)
            id = try store.begin(source: "mic", modelPath: "/m", configuration: "{}")
            try store.append(session: id, kind: "estimate", audioSeconds: 0.5, payload: Payload(value: 1))
            #expect(store.journalMode == "wal")
        }
        let reopened = try SessionStore(path: path)
        #expect(try reopened.events(session: id).count == 1)
    }

    @Test("the default location follows PROSCORE_STORE and XDG_DATA_HOME")
    func location() {
        #expect(SessionStore.defaultPath.hasSuffix("proscore/sessions.sqlite") || ProcessInfo.processInfo.environment["PROSCORE_STORE"] != nil)
    }

    @Test("an unwritable location is a clear error")
    func unwritable() {
        #expect(throws: (any Error).self) { _ = try SessionStore(path: "/proc/proscore/sessions.sqlite") }
    }
}
