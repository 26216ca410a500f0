import Dispatch
import Foundation
import ProscoreTensor

/// Text scores of one stretch of transcript, on the 0–10 scale, stamped with the span of
/// speech they cover (seconds from the start of the session).
public struct TextScores: Sendable, Equatable, Codable {
    public var startSeconds: Double
    public var endSeconds: Double
    public var words: Int
    /// 10 × cosine similarity of the segment to the prompt or reference text (nil without one).
    public var relevance: Double?
    /// 10 × cosine similarity to the previous segment (nil for the first).
    public var coherence: Double?
    /// 10 × moving-average type–token ratio over 25-word windows (plain ratio when shorter).
    public var lexicalDiversity: Double

    enum CodingKeys: String, CodingKey {
        case words, relevance, coherence
        case startSeconds = "start_s", endSeconds = "end_s", lexicalDiversity = "lexical_diversity"
    }
}

/// Scores a stretch of final words. A protocol so the scheduler can be tested with a fake.
public protocol TextScoring: AnyObject {
    func score(_ words: [TranscribedWord]) -> TextScores
}

/// The BERT text scores of docs/DESIGN: relevance to a prompt or reference, coherence
/// between consecutive segments, lexical diversity.
public final class BertTextScorer: TextScoring {
    public let embedder: SentenceEmbedder
    private let reference: Tensor?
    private var previous: Tensor?

    public init(embedder: SentenceEmbedder, referenceText: String? = nil) {
        self.embedder = embedder
        reference = referenceText.map { embedder.embed($0) }
    }

    public func score(_ words: [TranscribedWord]) -> TextScores {
        let text = words.map(\.text).joined(separator: " ")
        var scores = TextScores(startSeconds: words.first?.startSeconds ?? 0, endSeconds: words.last?.endSeconds ?? 0,
                                words: words.count, relevance: nil, coherence: nil,
                                lexicalDiversity: 10 * Self.movingTypeTokenRatio(words.map(\.text)))
        guard !words.isEmpty else { return scores }
        let embedding = embedder.embed(text)
        if let reference { scores.relevance = 10 * Double(max(0, SentenceEmbedder.cosine(embedding, reference))) }
        if let previous { scores.coherence = 10 * Double(max(0, SentenceEmbedder.cosine(embedding, previous))) }
        previous = embedding
        return scores
    }

    /// Mean type–token ratio over sliding windows of `window` words (case-insensitive).
    public static func movingTypeTokenRatio(_ words: [String], window: Int = 25) -> Double {
        let w = words.map { $0.lowercased() }
        guard !w.isEmpty else { return 0 }
        guard w.count > window else { return Double(Set(w).count) / Double(w.count) }
        var total = 0.0
        for start in 0...(w.count - window) { total += Double(Set(w[start..<(start + window)]).count) / Double(window) }
        return total / Double(w.count - window + 1)
    }
}

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
