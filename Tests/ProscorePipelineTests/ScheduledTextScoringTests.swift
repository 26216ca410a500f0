import Dispatch
import Foundation
import Testing
@testable import ProscoreModels
@testable import ProscorePipeline

func words(_ text: String, start: Double = 0, secondsPerWord: Double = 0.5) -> [TranscribedWord] {
    text.split(separator: " ").enumerated().map { i, w in
        TranscribedWord(text: String(w), startSeconds: start + Double(i) * secondsPerWord,
                        endSeconds: start + Double(i + 1) * secondsPerWord - 0.1, confidence: 0.9)
    }
}

/// Records what it is asked to score; can be held on a semaphore to look slow.
final class RecordingScorer: TextScoring, @unchecked Sendable {
    let gate = DispatchSemaphore(value: 0)
    var holds = false
    private(set) var batches: [[String]] = []

    func score(_ words: [TranscribedWord]) -> TextScores {
        if holds { gate.wait() }
        batches.append(words.map(\.text))
        return TextScores(startSeconds: words.first?.startSeconds ?? 0, endSeconds: words.last?.endSeconds ?? 0,
                          words: words.count, relevance: nil, coherence: nil, lexicalDiversity: 0)
    }
}

@Suite("scheduled text scoring")
struct ScheduledTextScoringTests {
    @Test("a pass runs once final words span the interval, and at each endpoint, stamped with its span")
    func schedule() {
        let scorer = RecordingScorer()
        let scheduler = ScheduledTextScoring(scorer: scorer, everySeconds: 3)
        scheduler.add(words("one two three"))  // 0 … 1.4 s: not yet due
        scheduler.add(words("four five six seven", start: 1.5))  // up to 3.4 s: due
        scheduler.add(words("eight nine", start: 4))
        scheduler.utteranceEnded()
        let results = scheduler.finish()
        #expect(scorer.batches == [["one", "two", "three", "four", "five", "six", "seven"], ["eight", "nine"]])
        #expect(results.map(\.startSeconds) == [0, 4])
        #expect(abs(results[1].endSeconds - 4.9) < 1e-9)
    }

    @Test("a slow pass never blocks the caller; what arrives meanwhile is merged into the next pass")
    func neverBlocks() {
        let scorer = RecordingScorer()
        scorer.holds = true
        let scheduler = ScheduledTextScoring(scorer: scorer, everySeconds: 1)
        scheduler.add(words("a b c d"))  // due: first pass starts and blocks
        for i in 0..<5 { scheduler.add(words("more words here", start: 10 + Double(i) * 2)) }  // returns at once
        scheduler.utteranceEnded()
        #expect(scorer.batches.isEmpty)
        scorer.gate.signal()
        scorer.gate.signal()
        scorer.holds = false
        let results = scheduler.finish()
        #expect(results.count == 2)
        #expect(scorer.batches[1].count == 15)
    }
}

