import Foundation
import Testing
@testable import ProscoreScoring
import ProscoreUnits

let counter = SyllableCounter()

/// Speech frames for words laid out in time, silence elsewhere; `seconds` long.
func layout(_ items: [(String, Double, Double)], seconds: Double) -> (speech: [Bool], words: [TimedWord]) {
    var speech = [Bool](repeating: false, count: Int(seconds / 0.02))
    for (_, s, e) in items { for f in Int(s / 0.02)..<min(speech.count, Int(e / 0.02)) { speech[f] = true } }
    return (speech, items.map { TimedWord(text: $0.0, startSeconds: $0.1, endSeconds: $0.2) })
}

@Suite("fluency measures")
struct FluencyTests {
    @Test("syllables come from the CMU dictionary Festival ships, with a vowel rule behind it")
    func syllables() {
        #expect(counter.hasDictionary, "festlex-cmu should be installed by make setup")
        #expect(counter.syllables("university") == 5)
        #expect(counter.syllables("weather") == 2)
        #expect(counter.syllables("WE") == 1)
        #expect(counter.syllables("don't") == 1)
        let rule = SyllableCounter(dictionaryPath: nil)
        #expect(!rule.hasDictionary)
        #expect(rule.syllables("table") == 2 && rule.syllables("make") == 1 && rule.syllables("banana") == 3)
    }

    @Test("rates, ratio, runs and pauses follow their definitions")
    func definitions() {
        // 4 one-syllable words of 0.3 s, a 0.5 s pause after the second; 2 s in all.
        let (speech, words) = layout([("WE", 0.1, 0.4), ("CALL", 0.4, 0.7), ("IT", 1.2, 1.5), ("BEAR", 1.5, 1.8)], seconds: 2)
        let m = FluencyAnalyzer(syllableCounter: counter).measure(speech: speech, words: words)
        #expect(m.syllables == 4)
        #expect(abs(m.speechRate - 2) < 1e-9)
        #expect(abs(m.phonationTimeRatio - 1.2 / 2) < 1e-9)
        #expect(abs(m.articulationRate - 4 / 1.2) < 1e-6)
        #expect(abs(m.silentPausesPerMinute - 30) < 1e-9)
        #expect(abs(m.meanPauseSeconds - 0.5) < 1e-9)
        #expect(m.meanLengthOfRun == 2)
        #expect(m.filledPausesPerMinute == 0 && m.repetitionsPerMinute == 0)
    }

    @Test("silence shorter than the pause threshold is not a pause; leading and trailing silence are not pauses")
    func threshold() {
        let (speech, words) = layout([("YES", 0.5, 0.8), ("NO", 1.0, 1.3)], seconds: 3)
        let analyzer = FluencyAnalyzer(syllableCounter: counter)
        #expect(analyzer.measure(speech: speech, words: words).silentPausesPerMinute == 0)
        var strict = analyzer
        strict.pauseThresholdSeconds = 0.1
        #expect(strict.measure(speech: speech, words: words).silentPausesPerMinute == 20)
    }

    @Test("filled pauses and repetitions are counted and do not add syllables")
    func disfluencies() {
        let (speech, words) = layout([("I", 0, 0.2), ("UM", 0.2, 0.5), ("I", 0.5, 0.7), ("I", 0.7, 0.9), ("THINK", 0.9, 1.2)], seconds: 1.2)
        let m = FluencyAnalyzer(syllableCounter: counter).measure(speech: speech, words: words)
        #expect(m.syllables == 4)
        #expect(abs(m.filledPausesPerMinute - 50) < 1e-9)
        #expect(abs(m.repetitionsPerMinute - 100) < 1e-9)  // I I I: two repetitions in 1.2 s
    }

    @Test("inserting pauses or slowing down lowers the speech rate and raises pauses monotonically")
    func monotonic() {
        let analyzer = FluencyAnalyzer(syllableCounter: counter)
        let sentence = ["EVERY", "MORNING", "I", "READ", "THE", "NEWS"]
        var previous: FluencyMeasures?
        for pause in [0.0, 0.3, 0.6, 1.2] {
            var items: [(String, Double, Double)] = []
            var t = 0.0
            for w in sentence { items.append((w, t, t + 0.35)); t += 0.35 + pause }
            let (speech, words) = layout(items, seconds: t)
            let m = analyzer.measure(speech: speech, words: words)
            if let p = previous {
                #expect(m.speechRate < p.speechRate)
                #expect(m.phonationTimeRatio < p.phonationTimeRatio)
                #expect(m.meanLengthOfRun <= p.meanLengthOfRun)
            }
            previous = m
        }
    }

    @Test("a span from a start frame (the last 30 s) counts only what is in it; the session covers everything")
    func rolling() {
        let (speech, words) = layout([("EARLY", 1, 1.5), ("LATE", 50, 50.5)], seconds: 60)
        let analyzer = FluencyAnalyzer(syllableCounter: counter)
        let window = analyzer.measure(speech: speech, words: words, startFrame: speech.count - FrameGeometry.frames(seconds: 30))
        let session = analyzer.measure(speech: speech, words: words)
        #expect(window.startSeconds == 30 && window.syllables == 1)
        #expect(session.startSeconds == 0 && session.syllables == 3)
    }

    @Test("speech activity needs both a blank-dominated frame and quiet audio to call silence")
    func activity() {
        let a = SpeechActivity()
        #expect(a.classify(blankPosterior: [0.9, 0.9, 0.1, 0.1], energyDb: [-50, -20, -50, -20]) == [false, true, true, true])
        #expect(a.classify(blankPosterior: [0.1], energyDb: [-70]) == [false], "near-digital silence is silence")
    }
}

@Suite("read-aloud reference alignment")
struct ReferenceAlignmentTests {
    @Test("completeness, omissions, insertions and substitutions")
    func alignment() {
        let a = ReferenceAlignment(reference: ["Every", "morning", "I", "read", "the", "news."],
                                   hypothesis: ["EVERY", "UM", "MORNING", "I", "RED", "NEWS"])
        #expect(abs(a.completeness - 4.0 / 6) < 1e-12)
        #expect(a.omissions == [4])
        #expect(a.insertions == [1])
        #expect(a.substitutions.map(\.reference) == [3])
        #expect(ReferenceAlignment(reference: ["A", "B"], hypothesis: []).completeness == 0)
        #expect(ReferenceAlignment(reference: [], hypothesis: ["A"]).insertions == [0])
        #expect(ReferenceAlignment(reference: ["WE", "CALL", "IT", "BEAR"], hypothesis: ["WE", "CALL", "IT", "BEAR"]).completeness == 1)
    }

    @Test("a reference splits at any whitespace into words as given and, index for index, as the alignments spell them")
    func readingReference() {
        let r = ReadingReference("Every morning,\nI read  the news —\tdon't you?")
        #expect(r.words == ["Every", "morning,", "I", "read", "the", "news", "don't", "you?"])
        #expect(r.normalised == ["EVERY", "MORNING", "I", "READ", "THE", "NEWS", "DON'T", "YOU"])
        #expect(ReadingReference(" — & ").isEmpty && ReadingReference("").isEmpty)
        #expect(ReadingReference("Room 4b").normalised == ["ROOM", "4B"])
        let letters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ'")
        let spelled = ReadingReference("In 1984 room 4b", alphabet: letters)
        #expect(spelled.words == ["In", "room", "4b"] && spelled.normalised == ["IN", "ROOM", "B"],
                "a word the recogniser cannot write is left out, not counted as omitted")
    }
}
