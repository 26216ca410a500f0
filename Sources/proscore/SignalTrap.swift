import Dispatch
import Foundation

/// SIGINT and SIGTERM for commands that stream. The first asks the work to stop cleanly
/// (what was heard is kept and scored); a second one quits at once with status 130.
/// Installed before a source is opened, so a stop asked for while a device or file open
/// blocks is not lost.
final class SignalTrap: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var received = 0
    private var onStop: () -> Void = {}

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [unowned self] in self.handle() }
            source.resume()
            sources.append(source)
        }
    }

    /// What the first signal does (replaces the previous action).
    func onStop(_ action: @escaping () -> Void) {
        lock.lock()
        onStop = action
        let already = received > 0
        lock.unlock()
        if already { action() }
    }

    /// Whether a stop was asked for.
    var stopRequested: Bool { lock.lock(); defer { lock.unlock() }; return received > 0 }

    private func handle() {
        lock.lock()
        received += 1
        let count = received, action = onStop
        lock.unlock()
        if count == 1 {
            FileHandle.standardError.write(Data("\nstopping… (press Ctrl-C again to quit at once)\n".utf8))
            action()
        } else {
            FileHandle.standardError.write(Data("quitting at once\n".utf8))
            exit(130)
        }
    }

    /// Restores the default actions.
    func cancel() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
