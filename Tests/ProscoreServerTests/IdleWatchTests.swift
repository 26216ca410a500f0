@testable import ProscoreServer
import Synchronization
import Testing

/// The idle timeout's clock, on its own: the server's setup (models loading on a busy
/// machine while the client's frames wait unread) is not the client's silence.
@Suite("the stream's idle clock")
struct IdleWatchTests {
    @Test("a clock left alone past the limit expires, once")
    func expiresOnce() async throws {
        let watch = IdleWatch()
        #expect(!watch.expireIfIdle(longerThan: 0.3))
        try await Task.sleep(for: .milliseconds(400))
        #expect(watch.expireIfIdle(longerThan: 0.3))
        #expect(watch.expired)
        #expect(!watch.expireIfIdle(longerThan: 0.3))
    }

    @Test("while the server holds the clock it does not expire, and afterwards the client gets a whole period again")
    func holdingStopsTheClock() async throws {
        let watch = IdleWatch()
        let expiredWhileHeld = try await watch.holding {
            try await Task.sleep(for: .milliseconds(1_300))
            return watch.expireIfIdle(longerThan: 1)
        }
        #expect(!expiredWhileHeld)
        #expect(!watch.expireIfIdle(longerThan: 1), "the hold's end restarts the clock")
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(watch.expireIfIdle(longerThan: 1))
    }

    @Test("a finished clock (the client sent stop) never expires")
    func finishedNeverExpires() async throws {
        let watch = IdleWatch()
        watch.finish()
        try await Task.sleep(for: .milliseconds(400))
        #expect(!watch.expireIfIdle(longerThan: 0.3))
        #expect(!watch.expired)
    }

    @Test("winding down waits for the session's action, but no longer than the limit")
    func windDownIsBounded() async throws {
        let watch = IdleWatch()
        await watch.windDown(limit: .milliseconds(100))  // no session yet: nothing to wait for
        let done = Mutex(false)
        watch.onExpiry { try? await Task.sleep(for: .milliseconds(200)); done.withLock { $0 = true } }
        await watch.windDown(limit: .seconds(30))
        #expect(done.withLock { $0 }, "a quick action is waited for")
        watch.onExpiry { try? await Task.sleep(for: .seconds(60)) }
        let start = ContinuousClock.now
        await watch.windDown(limit: .milliseconds(300))
        #expect(ContinuousClock.now - start < .seconds(30), "a stuck action does not hold the close")
    }
}
