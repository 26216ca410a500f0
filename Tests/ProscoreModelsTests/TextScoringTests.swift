import Foundation
import Testing
@testable import ProscoreModels

/// Words of `text`, half a second each.
private func words(_ text: String) -> [TranscribedWord] {
    text.split(separator: " ").enumerated().map { i, w in
        TranscribedWord(text: String(w), startSeconds: Double(i) * 0.5, endSeconds: Double(i) * 0.5 + 0.4, confidence: 0.9)
    }
}

@Suite("BERT text scores on the real MiniLM", .serialized)
struct BertTextScorerTests {
    @Test("relevance, coherence and lexical diversity behave as their definitions say")
    func scores() throws {
        let loaded = try MiniLM.load()
        let embedder = SentenceEmbedder(model: loaded.model, tokenizer: loaded.tokenizer)
        let scorer = BertTextScorer(embedder: embedder, referenceText: "I like to play football with my friends after school")
        let onTopic = scorer.score(words("I LIKE PLAYING FOOTBALL WITH MY FRIENDS"))
        #expect(onTopic.coherence == nil)
        let offTopic = scorer.score(words("THE BANK RAISED INTEREST RATES AGAIN"))
        #expect(onTopic.relevance! > offTopic.relevance! + 2)
        #expect(offTopic.coherence != nil && offTopic.coherence! < 10)
        #expect(scorer.score(words("THE THE THE THE THE THE THE THE THE THE THE")).lexicalDiversity! < 2)
        #expect(abs(scorer.score(words("WE CALL IT BEAR AND THEN WE WALK TO THE PARK")).lexicalDiversity! - 10 * 10 / 11) < 1e-9)
        #expect(scorer.score(words("WE CALL IT BEAR")).lexicalDiversity == nil, "four words have no lexical diversity")
        let empty = scorer.score([])
        #expect(empty.words == 0 && empty.relevance == nil && empty.lexicalDiversity == nil)
    }

    @Test("moving type-token ratio over 25-word windows")
    func mattr() {
        let repeated = Array(repeating: ["a", "b"], count: 30).flatMap { $0 }
        #expect(abs(BertTextScorer.movingTypeTokenRatio(repeated) - 2.0 / 25) < 1e-9)
        #expect(BertTextScorer.movingTypeTokenRatio((0..<60).map(String.init)) == 1)
    }
}
