import Foundation
import ProscoreFakes
import ProscoreAudio
import ProscoreUnits
import Testing
@testable import ProscoreScoring

/// Speech from espeak-ng at 16 kHz, scaled to `levelDb` dBFS RMS when given.
func espeak(_ text: String, rate: Int = 150, levelDb: Float? = nil) throws -> [Float] {
    let path = try SynthesisedSpeech.espeak(text, rate: rate, to: NSTemporaryDirectory() + "proscore-signal-" + UUID().uuidString + ".wav")
    var samples = try AudioLoading.load16kMono(path: path)
    if let levelDb {
        let rms = (samples.map { $0 * $0 }.reduce(0, +) / Float(samples.count)).squareRoot()
        let gain = pow(10, levelDb / 20) / rms
        samples = samples.map { $0 * gain }
    }
    return samples
}

func tone(_ hz: Double, seconds: Double, amplitude: Float = 0.3) -> [Float] {
    (0..<FrameGeometry.samples(seconds: seconds)).map { amplitude * Float(sin(2 * .pi * hz * Double($0) / 16_000)) }
}

/// Deterministic white noise in [-amplitude, amplitude].
func noise(seconds: Double, amplitude: Float = 0.3, seed: UInt64 = 1) -> [Float] {
    var state = seed
    return (0..<FrameGeometry.samples(seconds: seconds)).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
    }
}

/// F0 per frame (0 when unvoiced) as `FrameEvidence` decides it without gain: the tracker's
/// periodicity, unvoiced under its level.
func voicedF0(_ samples: [Float], frames: Int) -> [Float] {
    let tracker = PitchTracker()
    return tracker.periodicity(samples: samples, frames: frames).map { $0.levelDb >= tracker.minimumLevelDb ? $0.hz : 0 }
}

/// Per-frame evidence as the pipeline computes it at the levels as recorded (no session gain,
/// the quiet-room -40 dBFS threshold), with loudness alone deciding speech.
func evidence(_ samples: [Float]) -> (speech: [Bool], energy: [Float], f0: [Float]) {
    let frames = samples.count / FrameGeometry.samplesPerFrame
    var energy = [Float](), f0 = [Float]()
    for f in 0..<frames {
        let lo = f * 320, hi = min(samples.count, lo + 320)
        energy.append(10 * log10(max(1e-12, samples[lo..<hi].map { $0 * $0 }.reduce(0, +) / Float(hi - lo))))
    }
    f0 = voicedF0(samples, frames: frames)
    let speech = SpeechActivity().classify(blankPosterior: [Float](repeating: 1, count: frames), energyDb: energy)
    return (speech, energy, f0)
}

@Suite("signal measures: pitch, syllable nuclei, speech gate")
struct SignalTests {
    @Test("YIN finds the pitch of tones within 1%, and none in noise or silence", arguments: [80.0, 100, 220, 440])
    func tones(hz: Double) {
        let f0 = voicedF0(tone(hz, seconds: 1), frames: 45)
        let inner = f0[2..<40]
        #expect(inner.allSatisfy { abs(Double($0) - hz) / hz < 0.01 }, "\(inner.prefix(5))")
        #expect(voicedF0(noise(seconds: 1), frames: 45).filter { $0 > 0 }.count <= 4)
        #expect(voicedF0([Float](repeating: 0, count: 16_000), frames: 45).allSatisfy { $0 == 0 })
    }

    @Test("on espeak-ng speech YIN finds a voice in the speaking range on a good share of frames")
    func speechPitch() throws {
        let e = evidence(try espeak("Every morning I read the news and then I walk to work"))
        let voiced = e.f0.filter { $0 > 0 }.sorted()
        #expect(Double(voiced.count) / Double(e.speech.filter { $0 }.count) > 0.4)
        #expect((70...260).contains(voiced[voiced.count / 2]), "median F0 \(voiced[voiced.count / 2])")
    }

    @Test("syllable nuclei count the syllables of espeak-ng speech, and twice the text gives about twice the count")
    func nuclei() throws {
        // one two three four five six seven eight nine ten: 11 syllables.
        let counting = "one, two, three, four, five, six, seven, eight, nine, ten"
        let once = evidence(try espeak(counting))
        let n1 = SyllableNuclei.find(energyDb: once.energy, f0Hz: once.f0).count
        #expect((8...14).contains(n1), "found \(n1) nuclei for 11 syllables")
        let twice = evidence(try espeak(counting + ", " + counting))
        let n2 = SyllableNuclei.find(energyDb: twice.energy, f0Hz: twice.f0).count
        #expect(abs(Double(n2) / Double(n1) - 2) < 0.35, "\(n1) then \(n2)")
    }

    @Test("the gate accepts speech, quiet speech at −40 dBFS included, and rejects what is not speech")
    func gate() throws {
        let gate = SpeechGate()
        func verdict(_ samples: [Float]) -> String? {
            let e = evidence(samples)
            return gate.rejection(speech: e.speech, f0Hz: e.f0)
        }
        let sentence = "Every morning I read the news and then I walk to work with my friend"
        #expect(verdict(try espeak(sentence)) == nil)
        #expect(verdict(try espeak(sentence, levelDb: -40)) == nil)
        // Music: notes with harmonics and a decaying envelope, a new pitch every 250 ms.
        let notes = [261.6, 329.6, 392.0, 523.3, 392.0, 329.6, 293.7, 261.6, 349.2, 440.0, 349.2, 293.7]
        let music = notes.flatMap { hz in
            (0..<4_000).map { i -> Float in
                let t = Double(i) / 16_000
                return Float(0.25 * exp(-3 * t) * (sin(2 * .pi * hz * t) + 0.5 * sin(4 * .pi * hz * t) + 0.25 * sin(6 * .pi * hz * t)))
            }
        }
        let cough = noise(seconds: 0.4, amplitude: 0.6).enumerated().map { $1 * Float(exp(-Double($0) / 2_000)) }
            + [Float](repeating: 0, count: 16_000)
        let breathing = (0..<3).flatMap { _ in
            noise(seconds: 1.2, amplitude: 0.05).enumerated().map { $1 * Float(sin(Double.pi * Double($0) / 19_200)) }
        }
        for (name, samples) in [("silence", [Float](repeating: 0, count: 48_000)), ("white noise", noise(seconds: 3)),
                                ("a 440 Hz tone", tone(440, seconds: 3)), ("music", music), ("a cough", cough),
                                ("breathing", breathing)] {
            #expect(verdict(samples)?.hasPrefix("no speech detected") == true, "\(name): \(String(describing: verdict(samples)))")
        }
        // Half a second of speech is speech, but too little to score a window.
        let short = Array(try espeak("yes").prefix(8_000))
        #expect(verdict(short)?.hasPrefix("too little speech") == true || verdict(short)?.hasPrefix("no speech") == true)
    }

    @Test("pauses split by place: shorter than the utterance break within, longer between")
    func pauseSplit() {
        // 1 s speech, 0.3 s pause, 1 s speech, 1 s pause, 1 s speech (frames of 20 ms).
        let speech = [Bool](repeating: true, count: 50) + [Bool](repeating: false, count: 15) + [Bool](repeating: true, count: 50)
            + [Bool](repeating: false, count: 50) + [Bool](repeating: true, count: 50)
        let f0 = speech.map { $0 ? Float(120) : 0 }
        let energy = speech.map { $0 ? Float(-20) : -80 }
        let m = SignalAnalyzer(pauseThresholdSeconds: 0.25, utteranceBreakSeconds: 0.6).measure(speech: speech, energyDb: energy, f0Hz: f0)
        let minutes = Double(speech.count) * 0.02 / 60
        #expect(abs(m.midPausesPerMinute - 1 / minutes) < 1e-9 && abs(m.betweenPausesPerMinute - 1 / minutes) < 1e-9)
        #expect(abs(m.meanMidPauseSeconds - 0.3) < 1e-9)
        #expect(m.f0DeviationSemitones < 1e-9 && m.voicedRatio == 1)
    }

    @Test("every window feature a head may name has a value, and the loudness measures count loud stretches")
    func namedFeatures() {
        let speech = [Bool](repeating: true, count: 50) + [Bool](repeating: false, count: 30) + [Bool](repeating: true, count: 50)
        let energy = speech.map { $0 ? Float(-20) : -80 }
        let m = SignalAnalyzer().measure(speech: speech, energyDb: energy, f0Hz: speech.map { $0 ? 120 : 0 })
        #expect(Set(m.named.keys) == Set(SignalMeasures.featureNames))
        #expect(abs(m.spanSeconds - 2.6) < 1e-9 && abs(m.loudSeconds - 2.0) < 1e-9 && m.loudPauses == 1 && abs(m.loudMeanPauseSeconds - 0.6) < 1e-9)
        let all = WindowFeatures.named(fluency: FluencyAnalyzer(syllableCounter: SyllableCounter()).measure(speech: speech, words: []),
                                       signal: m, readAloud: nil)
        #expect(WindowFeatures.freeSpeechNames.allSatisfy { all[$0] != nil })
    }

    @Test("pitch measures: a rising glide has positive slope and range; a reset across a pause is measured in semitones")
    func pitchMeasures() {
        let frames = 200
        let speech = (0..<frames).map { !(100..<120).contains($0) }
        // 100 → 200 Hz glide over the first stretch, then 150 Hz steady after the pause.
        let f0 = (0..<frames).map { f -> Float in f < 100 ? Float(100 * pow(2, Double(f) / 100)) : (f < 120 ? 0 : 150) }
        let m = SignalAnalyzer().measure(speech: speech, energyDb: [Float](repeating: -20, count: frames), f0Hz: f0)
        #expect(m.declinationSemitonesPerSecond > 0)
        #expect(m.f0RangeSemitones > 6)
        // Before the pause: last 200 ms ≈ 2^(90..99/100) × 100 ≈ 190 Hz; after: 150 Hz.
        #expect(abs(m.pitchResetSemitones - abs(12 * log2(150 / (100 * pow(2, 0.95))))) < 0.3)
    }
}

@Suite("CTC forced alignment and goodness of pronunciation")
struct ForcedAlignmentTests {
    let tokens = ["<pad>", "|", "A", "B", "C"]
    var ids: [Character: Int] { ["A": 2, "B": 3, "C": 4] }

    /// Log posteriors where each frame's named token has probability `p`, the rest share the remainder.
    func posteriors(_ frames: [String], p: Float = 0.9) -> [Float] {
        frames.flatMap { name -> [Float] in
            let winner = tokens.firstIndex(of: name)!
            return (0..<tokens.count).map { $0 == winner ? log(p) : log((1 - p) / Float(tokens.count - 1)) }
        }
    }

    @Test("a reference the model heard aligns with GOP near 0 and the words at their frames")
    func heard() throws {
        let lp = posteriors(["<pad>", "A", "B", "<pad>", "|", "C", "A", "<pad>"])
        let a = try #require(ForcedAlignment(words: ["AB", "CA"], logPosteriors: lp, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids))
        #expect(a.words.map(\.text) == ["AB", "CA"])
        #expect(a.words[0].startFrame == 1 && a.words[0].endFrame == 3 && a.words[1].startFrame == 5 && a.words[1].endFrame == 7)
        #expect(a.words.allSatisfy { abs($0.gop) < 1e-6 })
    }

    @Test("a word the model heard as something else gets a strongly negative GOP; repeated letters need a blank")
    func misheard() throws {
        let lp = posteriors(["<pad>", "A", "B", "<pad>", "|", "B", "B", "<pad>"])
        let a = try #require(ForcedAlignment(words: ["AB", "CA"], logPosteriors: lp, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids))
        #expect(a.words[0].gop > -0.01 && a.words[1].gop < -2)
        let evidence = ReadAloudEvidence(reference: ["AB", "CA"], alignment: ReferenceAlignment(reference: ["AB", "CA"], hypothesis: ["AB", "BB"]),
                                         forced: a, syllables: 2, seconds: 0.16)
        #expect(evidence.likelyMispronounced == ["CA"] && evidence.lowGOPShare == 0.5 && evidence.completeness == 0.5)
        // Per reference token (A, B, |, C, A): the path takes log 0.9 on 6 frames and log 0.025 on
        // the 2 where it says C and A against the model's B; the free path log 0.9 on all 8.
        let (heard, other) = (log(0.9), log(0.1 / 4))
        #expect(abs(evidence.alignedLogPosteriorPerToken - (6 * heard + 2 * other) / 5) < 1e-5)
        #expect(abs(evidence.alignedGapPerToken - 2 * (other - heard) / 5) < 1e-5)
        let unaligned = ReadAloudEvidence(reference: ["AB"], alignment: ReferenceAlignment(reference: ["AB"], hypothesis: []),
                                          forced: nil, syllables: 1, seconds: 0.02)
        #expect(unaligned.alignedGapPerToken == ReadAloudEvidence.unaligned && unaligned.named["aligned_log_posterior_per_token"] == -10)
        // "AA" needs A, blank, A: three frames at least.
        #expect(ForcedAlignment(words: ["AA"], logPosteriors: posteriors(["A", "A"]), vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids) == nil)
        #expect(ForcedAlignment(words: ["AA"], logPosteriors: posteriors(["A", "<pad>", "A"]), vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids) != nil)
    }

    @Test("a reading cut short: the words never read are not reached, not mispronounced; the heads' evidence keeps them")
    func cutShort() throws {
        // "AB CA" heard clearly, then silence: the reference goes on for three more words.
        let lp = posteriors(["<pad>", "A", "B", "<pad>", "|", "C", "A", "<pad>"] + Array(repeating: "<pad>", count: 10), p: 0.999)
        let reference = ["AB", "CA", "BC", "AC", "CB"]
        let a = try #require(ForcedAlignment(words: reference, logPosteriors: lp, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids))
        #expect(a.reachedWordCount == 2 && a.earlyEndAdvantage > ForcedAlignment.earlyEndMargin, "\(a)")
        let evidence = ReadAloudEvidence(reference: reference, alignment: ReferenceAlignment(reference: reference, hypothesis: ["AB", "CA"]),
                                         forced: a, syllables: 5, seconds: 0.36)
        #expect(evidence.notReached == ["BC", "AC", "CB"] && evidence.likelyMispronounced.isEmpty)
        // The words reached keep their own frames, as if the reference had ended there.
        #expect(a.reachedWords.map(\.startFrame) == [1, 5] && a.reachedWords.map(\.endFrame) == [3, 7] && a.reachedWords.allSatisfy { abs($0.gop) < 1e-3 })
        // The features the heads read are measured on the whole reference's path, as before.
        #expect(evidence.lowGOPShare == 0.6)
        // The same frames against the two words read: all reached.
        let whole = try #require(ForcedAlignment(words: ["AB", "CA"], logPosteriors: lp, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids))
        #expect(whole.reachedWordCount == 2 && whole.earlyEndAdvantage < 0)
        // A last word said wrongly is still reached: it is listed as mispronounced (test above).
        let misheard = posteriors(["<pad>", "A", "B", "<pad>", "|", "B", "B", "<pad>"])
        #expect(ForcedAlignment(words: ["AB", "CA"], logPosteriors: misheard, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids)?.reachedWordCount == 2)
    }

    @Test("evidence stored before the per-token measures decodes with them unaligned")
    func olderEvidence() throws {
        let json = #"{"completeness":1,"omitted_share":0,"inserted_share":0,"mean_word_gop":-0.2,"low_gop_share":0,"reference_syllable_rate":3,"likely_mispronounced":[]}"#
        let evidence = try JSONDecoder().decode(ReadAloudEvidence.self, from: Data(json.utf8))
        #expect(evidence.meanWordGOP == -0.2 && evidence.alignedLogPosteriorPerToken == ReadAloudEvidence.unaligned && evidence.notReached.isEmpty)
        let again = try JSONDecoder().decode(ReadAloudEvidence.self, from: JSONEncoder().encode(evidence))
        #expect(again == evidence)
    }

    @Test("on random posteriors the walked-back path scores what a score-only Viterbi says is best")
    func optimalPath() throws {
        var state: UInt64 = 99
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        for frames in [23, 61, 97] {
            let lp: [Float] = (0..<frames).flatMap { _ -> [Float] in
                let raw = (0..<5).map { _ in 4 * uniform() }
                let norm = log(raw.map { exp($0) }.reduce(0, +))
                return raw.map { $0 - norm }
            }
            let words = ["AAB", "BA", "CAB"]
            let a = try #require(ForcedAlignment(words: words, logPosteriors: lp, vocabularySize: 5, blank: 0, wordDelimiter: 1, tokenIds: ids))
            // The path's total from meanGOP, and the best total from a Viterbi that keeps scores only.
            let freeBest = (0..<frames).map { t in (0..<5).map { lp[t * 5 + $0] }.max()! }.reduce(0, +)
            let pathTotal = a.meanGOP * Double(frames) + Double(freeBest)
            let tokens = [2, 2, 3, 1, 3, 2, 1, 4, 2, 3]
            let labels = (0..<(2 * tokens.count + 1)).map { $0 % 2 == 0 ? 0 : tokens[$0 / 2] }
            var score = [Float](repeating: -.infinity, count: labels.count)
            score[0] = lp[0]; score[1] = lp[labels[1]]
            for t in 1..<frames {
                score = labels.indices.map { i in
                    var best = score[i]
                    if i >= 1 { best = max(best, score[i - 1]) }
                    if i >= 2 && i % 2 == 1 && labels[i] != labels[i - 2] { best = max(best, score[i - 2]) }
                    return best + lp[t * 5 + labels[i]]
                }
            }
            let bestTotal = Double(max(score[labels.count - 1], score[labels.count - 2]))
            #expect(abs(pathTotal - bestTotal) < 1e-3, "frames \(frames): path \(pathTotal), best \(bestTotal)")
            #expect(abs(a.pathLogPosterior - bestTotal) < 1e-3 && abs(a.freeLogPosterior - Double(freeBest)) < 1e-3)
            #expect(a.tokenCount == tokens.count)
            #expect(zip(a.words, a.words.dropFirst()).allSatisfy { $0.endFrame <= $1.startFrame })
        }
    }
}
