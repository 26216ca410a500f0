import Dispatch
import Foundation
import ProscoreModels

/// Runs text scoring on its own serial queue so it never delays an encoder step.
///
/// Final words accumulate; a pass is scheduled when they span `everySeconds` of speech or
/// when an utterance ends. If a pass is still running, newly due work waits and is
/// merged into the next pass rather than queueing up.
public final class ScheduledTextScoring: @unchecked Sendable {
    public let everySeconds: Double
    private let scorer: TextScoring
    private let queue = DispatchQueue(label: "proscore.text-scoring")
    private let lock = NSLock()
    private var pending: [TranscribedWord] = []
    private var due = false
    private var running = false
    private var results: [TextScores] = []
    private let onResult: @Sendable (TextScores) -> Void

    public init(scorer: TextScoring, everySeconds: Double = 10, onResult: @escaping @Sendable (TextScores) -> Void = { _ in }) {
        self.scorer = scorer
        self.everySeconds = everySeconds
        self.onResult = onResult
    }

    /// Adds newly final words; returns at once.
    public func add(_ words: [TranscribedWord]) {
        guard !words.isEmpty else { return }
        lock.lock()
        pending += words
        if let first = pending.first, let last = pending.last, last.endSeconds - first.startSeconds >= everySeconds { due = true }
        lock.unlock()
        kick()
    }

    /// An utterance ended: score what is pending now.
    public func utteranceEnded() {
        lock.lock()
        if !pending.isEmpty { due = true }
        lock.unlock()
        kick()
    }

    /// Scores anything still pending and waits for all passes to finish; returns every result.
    public func finish() -> [TextScores] {
        utteranceEnded()
        while true {
            queue.sync {}
            lock.lock()
            let idle = !running && !due
            lock.unlock()
            if idle { break }
        }
        lock.lock()
        defer { lock.unlock() }
        return results
    }

    private func kick() {
        lock.lock()
        guard due && !running else { lock.unlock(); return }
        running = true
        due = false
        let batch = pending
        pending = []
        lock.unlock()
        queue.async { [self] in
            let scores = scorer.score(batch)
            lock.lock()
            results.append(scores)
            running = false
            lock.unlock()
            onResult(scores)
            kick()
        }
    }
}
