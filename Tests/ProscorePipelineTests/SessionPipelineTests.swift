import Foundation
import ProscoreAudio
@testable import ProscoreModels
@testable import ProscorePipeline
import ProscoreFakes
import ProscoreScoring
import ProscoreUnits
import Testing

@Suite("the session pipeline, with fake stages")
struct SessionPipelineTests {
    func pipeline(scorer: ProficiencyScoring? = nil, text: TextScoring? = nil, recorder: SessionRecording? = nil,
                  reference: String? = nil, script: @escaping (Int) -> String = greeting) -> SessionPipeline {
        SessionPipeline(settings: settings(reference: reference), stages: SessionStages(
            encoder: ScriptedEncoder(vocabulary: testVocabulary, script: script),
            decoder: StreamingCTCDecoder(vocabulary: testVocabulary), vocabulary: testVocabulary,
            scorer: scorer, textScorer: text, recorder: recorder))
    }

    @Test("a run emits started, an estimate per chunk, words, and ends complete with a summary of every word")
    func wholeRun() throws {
        let recorder = MemoryRecorder()
        var events: [PipelineEvent] = []
        let summary = try pipeline(scorer: FixedScorer(), recorder: recorder).run(source: ArraySource(samples: loud(seconds: 3))) { events.append($0) }
        guard case .started(sessionId: 7)? = events.first, case let .ended(outcome, last)? = events.last else {
            Issue.record("first and last events are started and ended: \(events.first!), \(events.last!)"); return
        }
        #expect(outcome == .complete && last == summary)
        let estimates = events.compactMap { if case let .estimate(e) = $0 { return e } else { return nil } }
        #expect(estimates.count == 15 + 1)  // 3 s in 200 ms chunks, and the final one
        #expect(summary.words == 15 && summary.transcript.split(separator: " ").allSatisfy { $0 == "HI" })
        #expect(summary.scores == ProficiencyScores(accuracy: 6, fluency: 7, prosodic: 5, total: 6.5))
        #expect(recorder.began == "array" && recorder.ended?.outcome == .complete && abs(recorder.ended!.processedSeconds - 3) < 1e-9)
        #expect(recorder.events.count == events.count - 2, "every event between started and ended is recorded")
    }

    @Test("live estimates carry session-wide measures at most the refresh interval, or a tenth of the session, old; the last estimate and the summary are exact")
    func sessionMeasuresRefresh() throws {
        var estimates: [Estimate] = []
        let summary = try pipeline(scorer: FixedScorer()).run(source: ArraySource(samples: loud(seconds: 12))) {
            if case let .estimate(e) = $0 { estimates.append(e) }
        }
        let refresh = SessionPipeline.liveRefreshSeconds
        #expect(estimates.count > 50)
        for e in estimates {
            // Measured at the hop (every 0.64 s here) on which a tenth of the session, or 5 s, had passed.
            let stale = e.window.endSeconds - e.session.endSeconds
            #expect(stale < min(refresh, SessionPipeline.liveRefreshShare * e.window.endSeconds) + 0.64 + 1e-9, "\(stale) s at \(e.window.endSeconds) s")
        }
        #expect(estimates.contains { $0.session.endSeconds < $0.window.endSeconds }, "the session measures are not redone at every hop")
        let last = try #require(estimates.last)
        #expect(last.session.endSeconds == last.window.endSeconds && last.session.startSeconds == 0)
        #expect(abs((last.sessionSignal?.spanSeconds ?? 0) - last.session.endSeconds) < 1e-9)
        #expect(summary.session == last.session && summary.session?.syllables == summary.words)
    }

    @Test("text scores reach the observer while the session runs, not only at its end")
    func textScoresAsTheyCome() throws {
        var order: [String] = []
        let source = ArraySource(samples: loud(seconds: 4), pieceSamples: 3_200, pauseSeconds: 0.02)
        try pipeline(text: SlowTextScorer(delaySeconds: 0.05)).run(source: source) { event in
            switch event {
            case .textScores: order.append("text")
            case let .estimate(e): order.append(e.audioSeconds < 3.9 ? "estimate" : "late estimate")
            default: break
            }
        }
        let firstText = try #require(order.firstIndex(of: "text"))
        #expect(order[firstText...].contains("estimate"), "a text score arrived before the audio was over: \(order)")
    }

    @Test("stop() ends the session stopped, with what was heard scored; a stop before the start records nothing")
    func stop() throws {
        let recorder = MemoryRecorder()
        let p = pipeline(recorder: recorder)
        let source = ArraySource(samples: loud(seconds: 20), pieceSamples: 1_600, pauseSeconds: 0.01)
        var estimates = 0
        let summary = try p.run(source: source) { event in
            if case .estimate = event { estimates += 1; if estimates == 5 { DispatchQueue.global().async { p.stop() } } }
        }
        #expect(recorder.ended?.outcome == .stopped)
        #expect(summary.audioSeconds > 0.5 && summary.audioSeconds < 19, "stopped part-way: \(summary.audioSeconds) s")

        let early = MemoryRecorder()
        let q = pipeline(recorder: early)
        q.stop()
        #expect(throws: SessionError.stoppedBeforeStart) { try q.run(source: ArraySource(samples: loud(seconds: 1))) { _ in } }
        #expect(early.began == nil)
    }

    @Test("a source that cannot be opened leaves no record; one that fails mid-way ends the session failed")
    func sourceFailures() throws {
        let recorder = MemoryRecorder()
        #expect(throws: SessionSetupError.self) { try pipeline(recorder: recorder).run(source: BrokenSource()) { _ in } }
        #expect(recorder.began == nil && recorder.events.isEmpty)

        let lost = ArraySource(samples: loud(seconds: 1))
        lost.endReason = "device unplugged"
        let failing = MemoryRecorder()
        try pipeline(recorder: failing).run(source: lost) { _ in }
        #expect(failing.ended?.outcome == .failed("the audio source failed: device unplugged"))
    }

    @Test("a recorder that fails mid-session (its session deleted) stops the session, which ends failed with the error")
    func recorderFailure() throws {
        let recorder = MemoryRecorder()
        recorder.failAfter = 3
        var ended: SessionOutcome?
        #expect(throws: SessionSetupError.self) {
            try pipeline(recorder: recorder).run(source: ArraySource(samples: loud(seconds: 5), pieceSamples: 1_600)) { event in
                if case let .ended(o, _) = event { ended = o }
            }
        }
        if case .failed(let why)? = ended { #expect(why.contains("deleted")) } else { Issue.record("ended \(String(describing: ended))") }
    }

    @Test("silence gets no scores and says why; speech gets scores")
    func noSpeechNoScore() throws {
        var last: Estimate?
        try pipeline(scorer: FixedScorer(), script: { _ in "<pad>" })
            .run(source: ArraySource(samples: [Float](repeating: 0, count: 48_000))) { if case let .estimate(e) = $0 { last = e } }
        #expect(last?.scores == nil && last?.unscoredReason == "no speech detected")
    }

    @Test("before the reading is first aligned, live read-aloud estimates are scored by the free-speech head (or not at all), never by the read-aloud head reading zeros")
    func unalignedEstimates() throws {
        let readAloud = FixedScorer(extraFeatures: ["aligned_gap_per_token"], scores: ProficiencyScores(accuracy: 3, fluency: 3, prosodic: 3, total: 3))
        let free = FixedScorer(scores: ProficiencyScores(accuracy: 8, fluency: 8, prosodic: 8, total: 8))
        func estimates(unaligned: ProficiencyScoring?) throws -> [Estimate] {
            // "HI"s read against a reference they never match: nothing is aligned until the end.
            let pipeline = SessionPipeline(settings: settings(reference: "THERE THERE THERE"), stages: SessionStages(
                encoder: ScriptedEncoder(vocabulary: testVocabulary, script: greeting),
                decoder: StreamingCTCDecoder(vocabulary: testVocabulary), vocabulary: testVocabulary,
                scorer: readAloud, unalignedScorer: unaligned))
            var all: [Estimate] = []
            try pipeline.run(source: ArraySource(samples: loud(seconds: 3))) { if case let .estimate(e) = $0 { all.append(e) } }
            return all
        }
        let withFree = try estimates(unaligned: free)
        let live = withFree.dropLast().filter { $0.audioSeconds >= 1.2 }
        #expect(!live.isEmpty && live.allSatisfy { $0.readAloud == nil && $0.scores?.total == 8 }, "\(live.map { $0.scores?.total as Any })")
        #expect(withFree.last?.readAloud != nil && withFree.last?.scores?.total == 3, "the last estimate aligns the whole reading")
        let alone = try estimates(unaligned: nil).dropLast().filter { $0.audioSeconds >= 1.2 }
        #expect(!alone.isEmpty && alone.allSatisfy { $0.scores == nil && $0.unscoredReason?.hasPrefix("the reading is not aligned yet") == true })
    }

    @Test("a reference over silence: nothing was read, so no word is called mispronounced; the same reading spoken has its evidence")
    func readingOfSilence() throws {
        func summary(_ samples: [Float], script: @escaping (Int) -> String) throws -> SessionSummary {
            try pipeline(scorer: FixedScorer(), reference: "HELLO WORLD HOW ARE YOU", script: script).run(source: ArraySource(samples: samples)) { _ in }
        }
        let silent = try summary([Float](repeating: 0, count: 48_000)) { _ in "<pad>" }
        #expect(silent.readAloud == nil && silent.unscoredReason == "no speech detected")
        #expect(silent.completeness == 0, "completeness still says that none of the reference was heard")
        let spoken = try summary(loud(seconds: 3), script: greeting)
        let evidence = try #require(spoken.readAloud)
        #expect(!evidence.likelyMispronounced.isEmpty, "\"HI\"s read as \"HELLO WORLD …\" are heard as other words: \(evidence)")
    }

    @Test("live read-aloud evidence is realigned at utterance ends only as the reading grows; the last estimate aligns it all")
    func readAloudRefresh() throws {
        // 3 s cycles: 2 s of "HI"s, then 1 s of quiet blank frames that ends an utterance.
        let cycle = 150, speaking = 100
        let speech = loud(seconds: 2), quiet = [Float](repeating: 0, count: FrameGeometry.samples(seconds: 1))
        let audio = (0..<12).flatMap { _ in speech + quiet }
        var utterances = 0, estimates: [Estimate] = []
        let summary = try pipeline(reference: Array(repeating: "HI", count: 120).joined(separator: " "),
                                   script: { $0 % cycle < speaking ? greeting($0) : "<pad>" })
            .run(source: ArraySource(samples: audio)) { event in
                switch event {
                case .utterance: utterances += 1
                case let .estimate(e): estimates.append(e)
                default: break
                }
            }
        // Each realignment changes the evidence (its span, hence the reference syllable rate).
        var changes = 0, previous: ReadAloudEvidence?
        for e in estimates.dropLast() where e.readAloud != previous {
            changes += 1
            previous = e.readAloud
        }
        #expect(utterances >= 10)
        #expect(changes >= 3 && changes < utterances, "\(changes) alignments for \(utterances) utterance ends")
        let last = try #require(estimates.last?.readAloud)
        #expect(last.completeness == 1 && abs(last.referenceSyllableRate - 120.0 / 36) < 0.01)
        #expect(summary.readAloud == last)
    }

    @Test("a whole reading under the read-aloud head's floor gets no scores at the end, saying it does not follow the text; above it, scores")
    func readingBelowTheFloor() throws {
        func last(floor: Double) throws -> [Estimate] {
            var estimates: [Estimate] = []
            try pipeline(scorer: FixedScorer(readingGapFloor: floor), reference: "HI THERE HI")
                .run(source: ArraySource(samples: loud(seconds: 3))) { if case let .estimate(e) = $0 { estimates.append(e) } }
            return estimates
        }
        // Every gap is ≤ 0: a floor over 0 takes any reading as another text.
        let accepted = try last(floor: -100)
        let gap = try #require(accepted.last?.readAloud?.alignedGapPerToken)
        #expect(gap <= 0 && accepted.last?.scores != nil)
        let refused = try last(floor: 0.5)
        #expect(refused.last?.scores == nil)
        #expect(refused.last?.readAloud == nil, "no word-by-word evidence (likely mispronounced words) for another text")
        #expect(refused.last?.unscoredReason?.contains("does not follow the reference text") == true, "\(refused.last?.unscoredReason ?? "")")
        #expect(refused.dropLast().contains { $0.scores != nil }, "live estimates are scored; only the whole reading is judged")
        #expect(try last(floor: gap - 0.01).last?.scores != nil)
    }

    @Test("with a reference, completeness counts the recognised reference words")
    func completeness() throws {
        var last: Estimate?
        try pipeline(reference: "HI HI THERE").run(source: ArraySource(samples: loud(seconds: 0.4))) { if case let .estimate(e) = $0 { last = e } }
        #expect(last.flatMap(\.completeness).map { abs($0 - 20.0 / 3) < 1e-9 } == true)
    }

    @Test("the summary lists the session's silent pauses as its last estimate decided them")
    func summaryPauses() throws {
        // Three cycles of 2 s of "HI"s and 1 s of quiet blank frames: two pauses between speech.
        let speech = loud(seconds: 2), quiet = [Float](repeating: 0, count: FrameGeometry.samples(seconds: 1))
        let summary = try pipeline(script: { $0 % 150 < 100 ? greeting($0) : "<pad>" })
            .run(source: ArraySource(samples: (0..<3).flatMap { _ in speech + quiet })) { _ in }
        let pauses = try #require(summary.silentPauses)
        #expect(pauses.count == 2, "\(pauses)")
        for (i, p) in pauses.enumerated() {
            #expect(abs(p[0] - Double(3 * i + 2)) < 0.1 && abs(p[1] - p[0] - 1) < 0.1, "pause \(i): \(p)")
        }
    }

    @Test("a stream that goes quiet before it ends: the tail's latency runs from the end of the stream, not from the last audio")
    func tailLatency() throws {
        var estimates: [Estimate] = []
        // 1.3 s of audio at once, then 1.5 s with nothing before the stream ends.
        try pipeline(scorer: FixedScorer()).run(source: ArraySource(samples: loud(seconds: 1.3), pieceSamples: 32_000, pauseSeconds: 1.5)) {
            if case let .estimate(e) = $0 { estimates.append(e) }
        }
        let last = try #require(estimates.last)
        // Counted from the last audio it would be at least the 1.5 s of silence.
        #expect(last.emitLatencyMs < 1_500, "the silence before the end counted as the server's delay: \(last.emitLatencyMs) ms")
    }

    @Test("under a second of audio: live estimates wait for more, the last one says the recording was too short")
    func tooShort() throws {
        var estimates: [Estimate] = []
        try pipeline(scorer: FixedScorer()).run(source: ArraySource(samples: loud(seconds: 0.4))) { if case let .estimate(e) = $0 { estimates.append(e) } }
        #expect(estimates.count >= 2 && estimates.allSatisfy { $0.scores == nil })
        #expect(estimates.dropLast().allSatisfy { $0.unscoredReason == "less than a second of audio so far" })
        #expect(estimates.last?.unscoredReason == "less than a second of audio: too short to score")
    }

    @Test("a reference pasted over several lines, with punctuation, is read as the same words")
    func referenceOverLines() throws {
        func last(_ reference: String) throws -> Estimate {
            var last: Estimate?
            try pipeline(reference: reference).run(source: ArraySource(samples: loud(seconds: 0.4))) { if case let .estimate(e) = $0 { last = e } }
            return try #require(last)
        }
        let plain = try last("HI THERE HI"), pasted = try last("Hi,\nthere —\n\thi.")
        #expect(plain.readAloud != nil && pasted.readAloud == plain.readAloud && pasted.completeness == plain.completeness)
        #expect(pasted.omittedWords == ["there"] && plain.omittedWords == ["THERE"], "omissions are listed as the reference wrote them")
    }
}
