import Foundation
import ProscoreTensor
import Testing
@testable import ProscoreModels

/// Logits where each frame's token wins by `margin` over every other token.
func logits(_ tokens: [String], vocabulary: CTCVocabulary, margin: Float = 8) -> Tensor {
    let v = vocabulary.tokens.count
    var t = Tensor(zeros: [tokens.count, v])
    for (f, token) in tokens.enumerated() {
        let id = vocabulary.tokens.firstIndex(of: token)!
        t.scalars[f * v + id] = margin
    }
    return t
}

@Suite("streaming CTC decoding")
struct CTCDecoderTests {
    let vocabulary = try! CTCVocabulary(path: "\(Fixtures.encoders)/wav2vec2-base-ctc/vocab.json")
    let p = "<pad>"

    @Test("words come with start and end times and the mean winning posterior")
    func words() {
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary)
        // frames 0-1 H, 2 blank, 3 I, 4 |, 5 blank, 6-7 O, 8 K
        let update = decoder.feed(logits: logits(["H", "H", p, "I", "|", p, "O", "O", "K"], vocabulary: vocabulary))
        #expect(update.finalWords.map(\.text) == ["HI"])
        #expect(update.finalWords[0].startSeconds == 0 && abs(update.finalWords[0].endSeconds - 0.08) < 1e-9)
        let posterior = 1 / (1 + 31 * exp(-8.0))
        #expect(abs(update.finalWords[0].confidence - posterior) < 1e-6)
        #expect(update.partialWord == "OK")
        let end = decoder.finish()
        #expect(end.finalWords.map(\.text) == ["OK"])
        #expect(abs(end.finalWords[0].startSeconds - 0.12) < 1e-9 && abs(end.finalWords[0].endSeconds - 0.18) < 1e-9)
        #expect(end.endedUtterances.first?.text == "HI OK")
    }

    @Test("speech without a pause is cut into utterances of at most the maximum length, at word boundaries")
    func maximumUtteranceLength() {
        // "AB|" repeated: a 3-frame word every 60 ms, never a silence long enough to end an utterance.
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary,
                                          endpoint: EndpointSettings(trailingSilenceMs: 600, maxUtteranceSeconds: 1))
        var utterances: [Utterance] = []
        for _ in 0..<10 {
            let update = decoder.feed(logits: logits(Array(repeating: ["A", "B", "|"], count: 20).flatMap { $0 }, vocabulary: vocabulary))
            utterances += update.endedUtterances
        }
        #expect(utterances.count >= 8)
        #expect(utterances.allSatisfy { $0.endSeconds - $0.startSeconds <= 1.0 + 0.06 + 1e-9 })
        #expect(utterances.allSatisfy { $0.words.allSatisfy { $0.text == "AB" } })
    }

    @Test("repeated letters need a blank between them; fed in pieces, the result is the same")
    func repeatsAndPieces() {
        let frames = ["L", "L", p, "L", "O", "|", "W", p, "W", "O", p, p]
        let whole = StreamingCTCDecoder(vocabulary: vocabulary)
        var wholeWords = whole.feed(logits: logits(frames, vocabulary: vocabulary)).finalWords
        wholeWords += whole.finish().finalWords
        #expect(wholeWords.map(\.text) == ["LLO", "WWO"])
        let pieces = StreamingCTCDecoder(vocabulary: vocabulary)
        var pieceWords: [TranscribedWord] = []
        var partials: [String] = []
        for f in frames {
            let u = pieces.feed(logits: logits([f], vocabulary: vocabulary))
            pieceWords += u.finalWords
            partials.append(u.partialWord)
        }
        pieceWords += pieces.finish().finalWords
        #expect(pieceWords == wholeWords)
        #expect(partials.contains("LL") && partials.contains("WW"))
    }

    @Test("trailing silence closes an utterance only when the audio is quiet too")
    func endpointing() {
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary, endpoint: EndpointSettings(trailingSilenceMs: 100))
        let speech = logits(["Y", "E", "S", p, p, p, p, p, p], vocabulary: vocabulary)
        // Loud blanks (noise, breathing) do not end the utterance…
        let loud = decoder.feed(logits: speech, frameEnergyDb: [Float](repeating: -20, count: 9))
        #expect(loud.endedUtterances.isEmpty)
        #expect(loud.partialWord == "YES")
        // …quiet ones do, after 100 ms = 5 frames.
        let quiet = decoder.feed(logits: logits([p, p, p, p, p, p], vocabulary: vocabulary), frameEnergyDb: [Float](repeating: -70, count: 6))
        #expect(quiet.finalWords.map(\.text) == ["YES"])
        #expect(quiet.endedUtterances.first?.text == "YES")
        #expect(decoder.currentUtterance.isEmpty)
        #expect(decoder.finish().endedUtterances.isEmpty)
    }

    @Test("a word read from digital silence is dropped; a word with one frame above the silence level is kept")
    func wordsFromSilence() {
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary)
        let words = logits(["O", p, "|", "Y", "E", "S", p, "|"], vocabulary: vocabulary)
        let update = decoder.feed(logits: words, frameEnergyDb: [-110, -110, -110, -75, -42, -75, -110, -110])
        #expect(update.finalWords.map(\.text) == ["YES"])
        #expect(StreamingCTCDecoder(vocabulary: vocabulary).feed(logits: words).finalWords.map(\.text) == ["O", "YES"],
                "without frame energies nothing is dropped")
    }

    @Test("frame energy is the RMS of each 20 ms hop in dBFS")
    func energy() {
        let samples = [Float](repeating: 0.5, count: 320) + [Float](repeating: 0, count: 320)
        let db = FrameEnergy.decibels(samples, frames: 2)
        #expect(abs(db[0] - 20 * log10(0.5)) < 1e-4)
        #expect(db[1] < -100)
    }
}
