import Foundation

/// The bounded pool of scoring sessions: at most `limit` run at once (each on a thread of
/// its own); a request beyond that is refused, never queued.
final class SessionSlots: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var active = 0

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot if one is free.
    func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard active < limit else { return false }
        active += 1
        return true
    }

    func release() {
        lock.lock()
        active -= 1
        lock.unlock()
    }

    var activeCount: Int { lock.lock(); defer { lock.unlock() }; return active }
    var isFull: Bool { activeCount >= limit }
}

/// Runs blocking work (model loading, a session's pipeline, SQLite) on a thread of its
/// own, never on the event loop or the cooperative pool.
func onOwnThread<T: Sendable>(name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
