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
    /// 10 × moving-average type–token ratio over 25-word windows (plain ratio when shorter);
    /// nil under `minimumWordsForDiversity` words, where any few different words would give
    /// 10 (one word, "O", read from silence scored 10).
    public var lexicalDiversity: Double?

    /// Fewest words a stretch needs for a lexical diversity.
    public static let minimumWordsForDiversity = 10

    public init(startSeconds: Double, endSeconds: Double, words: Int, relevance: Double?, coherence: Double?, lexicalDiversity: Double?) {
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
        self.words = words
        self.relevance = relevance
        self.coherence = coherence
        self.lexicalDiversity = lexicalDiversity
    }

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
                                lexicalDiversity: words.count < TextScores.minimumWordsForDiversity
                                    ? nil : 10 * Self.movingTypeTokenRatio(words.map(\.text)))
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
