@testable import ProscoreServer
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
}
