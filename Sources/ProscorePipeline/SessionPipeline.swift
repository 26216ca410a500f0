import Dispatch
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscoreScoring
import ProscoreTensor
import ProscoreUnits

/// One session: source → ring buffer → streaming encoder → CTC decoder → fluency
/// measures, head scores and the scheduled text pass → events, each handed to the
/// recorder and then to the observer.
///
/// The source runs on its own thread; everything else runs on the thread that calls
/// `run`, except text scoring, which has its own queue (its results are delivered from
/// `run`'s thread as they arrive). `stop()` may be called from any thread (a signal
/// handler's): the session then ends `stopped`, with everything heard so far scored.
public final class SessionPipeline: @unchecked Sendable {
    /// Live estimates carry the session-wide measures as of at most this much audio ago, and
    /// of at most a tenth of the session (`liveRefreshShare`; so a short session's are fresh
    /// at every hop, and one stopped abruptly or watched while running shows measures of
    /// nearly all of it). The rolling window's measures and the scores are fresh at every
    /// hop; the last estimate and the summary are exact. Live read-aloud evidence is
    /// realigned no more often than this. Measuring the whole session at every hop costs
    /// time in proportion to its length: a 30-minute replay at max speed with the small model
    /// took 53 s so, 35 s with the refresh (same summary and scores).
    public static let liveRefreshSeconds = 5.0
    /// The share of the session after which live session-wide measures are redone (see above).
    public static let liveRefreshShare = 0.1
    /// A change of the session's level gain or silence threshold (dB) after which the frames
    /// are decided again live (both move in whole dB; the last estimate decides every frame
    /// at the final values).
    static let regainDb: Float = 2
    public let settings: SessionSettings
    private let stages: SessionStages
    private let fluency: FluencyAnalyzer
    private let signal: SignalAnalyzer
    private let gate = SpeechGate()
    private let syllables: SyllableCounter
    /// The text read aloud (empty without a reference): its words as given for the lists,
    /// normalised for both alignments.
    private let reference: ReadingReference
    private let tokenIds: [Character: Int]
    /// Whether the scorer reads read-aloud evidence of a reading: in one not yet aligned it
    /// would read zeros there, which no reading gives, so `unalignedScorer` scores until then.
    /// (Without a reference, a scorer that names them, as feature capture does, reads them
    /// as absent.)
    private let scoresAlignedReading: Bool
    private let textScoring: ScheduledTextScoring?
    private let textInbox = Inbox<TextScores>()
    private let control = NSLock()
    private var stopRequested = false
    private var runningSource: AudioSource?

    public init(settings: SessionSettings, stages: SessionStages, syllableCounter: SyllableCounter = .shared) {
        self.settings = settings
        self.stages = stages
        fluency = FluencyAnalyzer(syllableCounter: syllableCounter, pauseThresholdSeconds: settings.pauseThresholdSeconds)
        signal = SignalAnalyzer(pauseThresholdSeconds: settings.pauseThresholdSeconds,
                                utteranceBreakSeconds: Double(settings.endpointMs) / 1000)
        syllables = syllableCounter
        var ids: [Character: Int] = [:]
        for (i, token) in (stages.vocabulary?.tokens ?? []).enumerated() where token.count == 1 && i != stages.vocabulary?.wordDelimiter {
            ids[Character(token)] = i
        }
        tokenIds = ids
        reference = ReadingReference(settings.reference ?? "", alphabet: ids.isEmpty ? nil : Set(ids.keys))
        scoresAlignedReading = !reference.isEmpty
            && (stages.scorer?.extraFeatures.contains { ReadAloudEvidence.featureNames.contains($0) } ?? false)
        let inbox = textInbox
        textScoring = stages.textScorer.map {
            ScheduledTextScoring(scorer: $0, everySeconds: settings.textScoringEverySeconds) { inbox.put($0) }
        }
    }

    /// Asks the session to end: the source stops, what it delivered is scored, and the
    /// session ends `stopped`. Safe from any thread, before or during `run`.
    public func stop() {
        control.lock()
        stopRequested = true
        let source = runningSource
        control.unlock()
        source?.stop()
    }

    private var wasStopped: Bool { control.lock(); defer { control.unlock() }; return stopRequested }

    /// Runs until the source ends or `stop()` is called; calls `observe` with every event,
    /// the last being `.ended`. Returns the summary. Errors in opening the source are
    /// thrown before anything is recorded; a recorder that fails mid-session (its
    /// session deleted, the disk full) ends the session `failed` and the error is thrown.
    @discardableResult
    public func run(source: AudioSource, observe: (PipelineEvent) -> Void) throws -> SessionSummary {
        let ring = AudioRingBuffer(seconds: settings.ringSeconds)
        control.lock()
        let stopFirst = stopRequested
        control.unlock()
        if stopFirst { throw SessionError.stoppedBeforeStart }
        try source.start(into: ring)
        control.lock()
        runningSource = source
        let stoppedMeanwhile = stopRequested
        control.unlock()
        if stoppedMeanwhile { source.stop() }  // a stop that came while the source was opening
        defer { control.lock(); runningSource = nil; control.unlock() }

        var state = SessionState()
        var recordingStarted = false
        var recorderError: Error?
        func emit(_ event: PipelineEvent) {
            if let recorder = stages.recorder, recorderError == nil {
                do { try recorder.record(event) } catch {
                    recorderError = error
                    source.stop()
                }
            }
            observe(event)
        }
        func beginRecording() {
            guard !recordingStarted else { return }
            recordingStarted = true
            var id: Int64?
            if let recorder = stages.recorder {
                do { id = try recorder.begin(source: source.name) } catch {
                    recorderError = error
                    source.stop()
                }
            }
            observe(.started(sessionId: id))
        }

        var piece = [Float](repeating: 0, count: FrameGeometry.samplesPerFrame)
        var failure: Error?
        while !ring.isFinished {
            ring.waitForData(timeoutSeconds: 0.05)
            deliverTextScores(emit)
            let n = piece.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            guard n > 0 else { continue }
            beginRecording()
            if recorderError != nil { continue }  // drain what the stopped source left
            state.receive(piece[0..<n], at: state.now(), keepingFrom: stages.encoder.emittedFrames * stages.encoder.samplesPerFrame)
            let t0 = state.now()
            let chunks = stages.encoder.feed(Array(piece[0..<n]))
            state.computeSeconds += state.now() - t0
            for chunk in chunks { handle(chunk, state: &state, ring: ring, emit: emit, arrival: state.arrival(of: chunk, encoder: stages.encoder)) }
        }
        if recordingStarted, recorderError == nil {
            let t0 = state.now()
            let tail = stages.encoder.finish()
            state.computeSeconds += state.now() - t0
            // The tail's chunks were completed by the end of the stream, not by audio arriving:
            // their latency runs from then (a client silent before it stopped, or timed out,
            // is not the server's delay).
            for chunk in tail { handle(chunk, state: &state, ring: ring, emit: emit, arrival: t0) }
            let end = stages.decoder.finish()
            if !end.finalWords.isEmpty { state.words += end.finalWords; emit(.words(end.finalWords)); textScoring?.add(end.finalWords) }
            for u in end.endedUtterances { emit(.utterance(u)) }
            // A last estimate with every word final (the end of the stream closes the last one),
            // and every frame decided at the session's final level.
            // (Chunks since the last live re-decision carry the values of their own time.)
            state.frames = state.frames.deciding(gainDb: state.level.gainDb, silenceThresholdDb: state.level.silenceThresholdDb)
            refreshSpokenAlignment(&state)
            state.readAloud = readAloudEvidence(state: state, final: true)
            refreshSessionMeasures(&state, exact: true)
            let last = makeEstimate(state: state, ring: ring, partialWord: "", firstFrame: state.speech.count,
                                    evidence: nil, latencyMs: 0)
            state.last = last
            emit(.estimate(last))
            _ = textScoring?.finish()
            deliverTextScores(emit)
        }
        var producerLeft: String?
        if let reason = source.statistics.endReason, !wasStopped {
            if source.statistics.producerLeft { producerLeft = reason } else { failure = SessionError.sourceFailed(reason) }
        }

        let processed = FrameGeometry.seconds(samples: state.totalSamples)
        var summary = SessionSummary(audioSeconds: processed, words: state.words, last: state.last)
        if state.last != nil {
            summary.silentPauses = SilentPauses.find(in: state.speech, thresholdSeconds: settings.pauseThresholdSeconds)
                .map { [Double($0.lowerBound) * FrameGeometry.frameSeconds, Double($0.upperBound) * FrameGeometry.frameSeconds] }
        }
        let outcome: SessionOutcome
        if let recorderError { outcome = .failed("\(recorderError)") }
        else if let failure { outcome = .failed("\(failure)") }
        else if let producerLeft { outcome = .interrupted(producerLeft) }
        else if wasStopped { outcome = .stopped }
        else { outcome = .complete }
        if recordingStarted, let recorder = stages.recorder, recorderError == nil {
            try recorder.end(outcome, summary: summary, processedSeconds: processed)
        }
        if recordingStarted { observe(.ended(outcome, summary)) }
        if let recorderError { throw recorderError }
        return summary
    }

    /// Text scores finished since the last call, as events.
    private func deliverTextScores(_ emit: (PipelineEvent) -> Void) {
        for scores in textInbox.takeAll() { emit(.textScores(scores)) }
    }

    /// One chunk of encoder output: transcript, speech decision, layer sums, estimate.
    private func handle(_ chunk: StreamingChunk, state: inout SessionState, ring: AudioRingBuffer,
                        emit: (PipelineEvent) -> Void, arrival: Double) {
        guard let logits = chunk.logits else { return }
        let evidence = FrameEvidence(samples: state.audio, logits: logits, frames: chunk.frameCount, firstFrame: chunk.firstFrame,
                                     sampleOffset: state.audioOffset, vocabulary: stages.vocabulary, level: &state.level)
        let update = stages.decoder.feed(logits: logits, evidence: evidence)
        state.frames.append(evidence)
        // Once the session's level moved, the frames before are decided again at the new gain.
        if abs(evidence.gainDb - state.frames.gainDb) >= Self.regainDb
            || abs(evidence.silenceThresholdDb - state.frames.silenceThresholdDb) >= Self.regainDb {
            state.frames = state.frames.deciding(gainDb: evidence.gainDb, silenceThresholdDb: evidence.silenceThresholdDb)
            state.sessionMeasures = nil
        }
        if !reference.isEmpty { state.logPosteriors += Softmax.logRows(logits) }
        if !update.finalWords.isEmpty {
            state.words += update.finalWords
            emit(.words(update.finalWords))
            textScoring?.add(update.finalWords)
        }
        for u in update.endedUtterances {
            emit(.utterance(u))
            textScoring?.utteranceEnded()
        }
        refreshSpokenAlignment(&state)
        if !update.endedUtterances.isEmpty, readAloudDue(state) {
            state.readAloud = readAloudEvidence(state: state, final: false)
            state.readAloudFrames = state.speech.count
        }
        if let scorer = stages.scorer, !scorer.layers.isEmpty {
            state.addLayerSums(firstFrame: chunk.firstFrame, frames: chunk.frameCount, sums: scorer.layers.map { chunk.hiddenStates[$0].columnSums() },
                               windowFrames: FrameGeometry.frames(seconds: settings.windowSeconds))
        }
        refreshSessionMeasures(&state, exact: false)
        let estimate = makeEstimate(state: state, ring: ring, partialWord: update.partialWord, firstFrame: chunk.firstFrame,
                                    evidence: evidence, latencyMs: max(0, (state.now() - arrival) * 1000))
        state.last = estimate
        emit(.estimate(estimate))
    }

    /// The estimate after the latest frames: rolling and session measures, head scores,
    /// read-aloud completeness.
    private func makeEstimate(state: SessionState, ring: AudioRingBuffer, partialWord: String, firstFrame: Int,
                              evidence: FrameEvidence?, latencyMs: Double) -> Estimate {
        let frames = state.speech.count
        let windowRange = max(0, frames - FrameGeometry.frames(seconds: settings.windowSeconds))..<frames
        // Measured over the speaker's extent in the window: silence before they start and
        // after they stop (waiting to press Stop) is the recording's, not theirs.
        let measured = SpeechExtent.of(state.speech, in: windowRange)
        let window = fluency.measure(speech: state.speech, words: state.timedWords, startFrame: measured.lowerBound, endFrame: measured.upperBound)
        let windowSignal = signal.measure(speech: state.speech, energyDb: state.energyDb, f0Hz: state.f0Hz, range: measured,
                                          loudThresholdDb: state.frames.silenceThresholdDb)
        let (session, sessionSignal) = (state.sessionMeasures!.fluency, state.sessionMeasures!.signal)
        var scores: ProficiencyScores?
        var unscored: String?
        // The last estimate aligns the whole reference: a reading under the head's floor
        // follows another text, or a third of this one, and its read-aloud scores and
        // word-by-word evidence would mean nothing.
        let offText = evidence == nil && state.readAloud.map { reading in
            stages.scorer?.readingGapFloor.map { reading.alignedGapPerToken < $0 } ?? false
        } ?? false
        if let scorer = stages.scorer {
            if Double(windowRange.count) * FrameGeometry.frameSeconds < 1 {
                // The last estimate (no new frames) says the recording was too short; live ones, that more may come.
                unscored = evidence == nil ? "less than a second of audio: too short to score" : "less than a second of audio so far"
            } else if let why = gate.rejection(speech: state.speech, f0Hz: state.f0Hz, range: windowRange) {
                unscored = why
            } else if offText {
                unscored = "the speech does not follow the reference text: check that this is the text that was read and that "
                    + "the reading was not cut short, or score it as free speech (without a reference)"
            } else if let active = scoresAlignedReading && state.readAloud == nil ? stages.unalignedScorer : scorer {
                let named = WindowFeatures.named(fluency: window, signal: windowSignal, readAloud: state.readAloud)
                scores = active.scores(pooled: state.pooledLayers(over: measured), extras: active.extraFeatures.map { named[$0] ?? 0 })
            } else {
                unscored = "the reading is not aligned yet: scores come once its first words are recognised"
            }
        }
        var completeness: Double?, omitted: [String]?, inserted: [String]?
        if let a = state.spokenAlignment?.alignment {  // made only with a reference
            let r = reference.words
            completeness = 10 * a.completeness
            // Omissions only up to the last recognised reference word: the rest may still come.
            let lastMatched = a.operations.compactMap { op -> Int? in if case let .match(ri, _) = op { return ri } else { return nil } }.max() ?? -1
            omitted = a.omissions.filter { $0 < lastMatched }.map { r[$0] }
            inserted = a.insertions.map { state.words[$0].text }
        }
        let inWindow = state.words.filter { $0.startSeconds >= window.startSeconds }
        let windowConfidence = inWindow.isEmpty ? nil : inWindow.reduce(0) { $0 + $1.confidence } / Double(inWindow.count)
        let partial = (stages.decoder.currentUtterance.map(\.text) + [partialWord]).filter { !$0.isEmpty }.joined(separator: " ")
        let audioSeconds = FrameGeometry.seconds(samples: state.totalSamples)
        return Estimate(
            audioSeconds: audioSeconds, window: window, session: session, windowSignal: windowSignal, sessionSignal: sessionSignal,
            readAloud: offText ? nil : state.readAloud, scores: scores, unscoredReason: unscored,
            windowConfidence: windowConfidence, completeness: completeness, omittedWords: omitted, insertedWords: inserted,
            partialTranscript: partial, emitLatencyMs: latencyMs,
            realTimeFactor: audioSeconds > 0 ? state.computeSeconds / audioSeconds : 0,
            droppedSamples: ring.droppedSamples, firstFrame: firstFrame,
            frameEnergyDb: (evidence?.recordedEnergyDb ?? []).map { ($0 * 10).rounded() / 10 }, frameSpeech: evidence?.speech ?? [])
    }
}

extension SessionPipeline {
    /// Measures the whole session again when `exact`, when it never was, or when the last
    /// measurement is `liveRefreshSeconds` of audio, or a `liveRefreshShare` of the session, old.
    func refreshSessionMeasures(_ state: inout SessionState, exact: Bool) {
        let frames = state.speech.count
        let due = min(FrameGeometry.frames(seconds: Self.liveRefreshSeconds), Int(Double(frames) * Self.liveRefreshShare))
        if !exact, let last = state.sessionMeasures, frames - last.frames < due { return }
        let extent = SpeechExtent.of(state.speech, in: 0..<frames)
        state.sessionMeasures = (frames, fluency.measure(speech: state.speech, words: state.timedWords, startFrame: extent.lowerBound, endFrame: extent.upperBound),
                                 signal.measure(speech: state.speech, energyDb: state.energyDb, f0Hz: state.f0Hz, range: extent,
                                                loudThresholdDb: state.frames.silenceThresholdDb))
    }

    /// Live read-aloud evidence is aligned again at an utterance end once 5 s of audio, or a
    /// fifth of the audio it last covered, has passed (whichever is longer): all the live
    /// alignments of a long reading then cost a few times the final one, not one alignment
    /// of everything so far per utterance. The last estimate aligns the whole reference.
    func readAloudDue(_ state: SessionState) -> Bool {
        guard state.readAloud != nil else { return true }
        let since = state.speech.count - state.readAloudFrames
        return since >= max(FrameGeometry.frames(seconds: Self.liveRefreshSeconds), state.readAloudFrames / 5)
    }

    /// The transcript aligned word by word with the reference, redone when words were added.
    func refreshSpokenAlignment(_ state: inout SessionState) {
        guard !reference.isEmpty, state.spokenAlignment?.words != state.words.count else { return }
        state.spokenAlignment = (state.words.count, ReferenceAlignment(reference: reference.normalised, hypothesis: state.words.map(\.text)))
    }

    /// Read-aloud evidence so far: the reference up to its last recognised word (all of it
    /// at the end) force-aligned over the frames up to that word's end. None while the
    /// session holds no voice: a reference aligned over silence or noise would list every
    /// word as mispronounced when none was read.
    func readAloudEvidence(state: SessionState, final: Bool) -> ReadAloudEvidence? {
        guard !reference.isEmpty, let vocabulary = stages.vocabulary,
              gate.noSpeech(speech: state.speech, f0Hz: state.f0Hz) == nil else { return nil }
        let alignment = state.spokenAlignment.flatMap { $0.words == state.words.count ? $0.alignment : nil }
            ?? ReferenceAlignment(reference: reference.normalised, hypothesis: state.words.map(\.text))
        let lastMatched = alignment.operations.compactMap { op -> (Int, Int)? in
            if case let .match(r, h) = op { return (r, h) } else { return nil }
        }.last
        let frames = state.logPosteriors.count / max(1, vocabulary.tokens.count)
        let said: [String], endFrame: Int
        if final {
            (said, endFrame) = (reference.normalised, frames)
        } else if let (r, h) = lastMatched {
            said = Array(reference.normalised[0...r])
            endFrame = min(frames, Int((state.words[h].endSeconds / FrameGeometry.frameSeconds).rounded(.up)) + 5)
        } else {
            return nil
        }
        let v = vocabulary.tokens.count
        let forced = state.logPosteriors.withUnsafeBufferPointer {
            ForcedAlignment(words: said, logPosteriors: UnsafeBufferPointer(rebasing: $0[0..<(endFrame * v)]),
                            vocabularySize: v, blank: vocabulary.blank, wordDelimiter: vocabulary.wordDelimiter, tokenIds: tokenIds)
        }
        let spokenAlignment = final ? alignment : ReferenceAlignment(reference: said, hypothesis: state.words.map(\.text))
        return ReadAloudEvidence(reference: said, alignment: spokenAlignment, forced: forced,
                                 syllables: said.reduce(0) { $0 + syllables.syllables($1) },
                                 seconds: Double(endFrame) * FrameGeometry.frameSeconds)
    }
}

/// Why a session could not run.
public enum SessionError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case stoppedBeforeStart
    case sourceFailed(String)

    public var description: String {
        switch self {
        case .stoppedBeforeStart: return "stopped before any audio arrived; nothing was recorded"
        case let .sourceFailed(reason): return "the audio source failed: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// Everything a running session has accumulated, in one plain value.
struct SessionState {
    /// Recent audio (for frame energies) and the stream index of its first sample.
    var audio: [Float] = []
    var audioOffset = 0
    var totalSamples = 0
    /// Every frame's evidence so far: loudness (dBFS, with the level's gain), speech, F0 (Hz,
    /// 0 unvoiced), and the values as recorded from which they are decided again.
    var frames = FrameEvidence.empty
    var speech: [Bool] { frames.speech }
    var energyDb: [Float] { frames.energyDb }
    var f0Hz: [Float] { frames.f0Hz }
    /// The speech level so far, which gives every frame's level its gain.
    var level = SpeechLevel()
    /// With a reference, the CTC log posteriors (`frames × vocabulary`) for forced alignment.
    var logPosteriors: [Float] = []
    var readAloud: ReadAloudEvidence?
    var words: [TranscribedWord] = []
    /// The session-wide measures and how many frames they cover.
    var sessionMeasures: (frames: Int, fluency: FluencyMeasures, signal: SignalMeasures)?
    /// With a reference: the frames heard when the live read-aloud evidence was last made,
    /// and the transcript's word alignment with how many words it covers.
    var readAloudFrames = 0
    var spokenAlignment: (words: Int, alignment: ReferenceAlignment)?
    var computeSeconds = 0.0
    /// Per chunk: its frames and per-layer sums of hidden states, over the rolling window.
    var layerSums: [(firstFrame: Int, frames: Int, sums: [[Double]])] = []
    /// When each read's samples arrived (wall clock), to time a chunk from its last sample.
    var reads: [(endSample: Int, seconds: Double)] = []
    var nextRead = 0
    var last: Estimate?
    let started = DispatchTime.now().uptimeNanoseconds

    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

    var timedWords: [TimedWord] { words.map { TimedWord(text: $0.text, startSeconds: $0.startSeconds, endSeconds: $0.endSeconds) } }

    /// New samples; audio before `keepingFrom` (already encoded) is dropped once it exceeds
    /// ten seconds, keeping one second for the energy of late frames.
    mutating func receive(_ samples: ArraySlice<Float>, at seconds: Double, keepingFrom needed: Int) {
        audio += samples
        totalSamples += samples.count
        reads.append((totalSamples, seconds))
        let rate = FrameGeometry.sampleRate
        let excess = needed - audioOffset
        if excess > rate * 10 {
            audio.removeFirst(excess - rate)
            audioOffset += excess - rate
        }
    }

    /// Wall-clock arrival of a chunk's last sample.
    mutating func arrival(of chunk: StreamingChunk, encoder: StreamingEncoding) -> Double {
        let lastSample = (chunk.firstFrame + chunk.frameCount - 1) * encoder.samplesPerFrame + encoder.receptiveFieldSamples
        while nextRead < reads.count - 1 && reads[nextRead].endSample < lastSample { nextRead += 1 }
        return reads[nextRead].seconds
    }

    mutating func addLayerSums(firstFrame: Int, frames: Int, sums: [[Double]], windowFrames: Int) {
        layerSums.append((firstFrame, frames, sums))
        var total = layerSums.reduce(0) { $0 + $1.frames }
        while total - (layerSums.first?.frames ?? 0) >= windowFrames, layerSums.count > 1 {
            total -= layerSums.removeFirst().frames
        }
    }

    /// Mean hidden state per scored layer over the rolling window's chunks that reach into
    /// `extent` (the speaker's frames; every chunk when none does).
    func pooledLayers(over extent: Range<Int>) -> [[Float]] {
        let reaching = layerSums.filter { $0.firstFrame < extent.upperBound && $0.firstFrame + $0.frames > extent.lowerBound }
        let chunks = reaching.isEmpty ? layerSums : reaching
        guard let first = chunks.first else { return [] }
        let frames = Double(chunks.reduce(0) { $0 + $1.frames })
        return first.sums.indices.map { i in
            (0..<first.sums[i].count).map { j in Float(chunks.reduce(0) { $0 + $1.sums[i][j] } / frames) }
        }
    }
}

/// A locked mailbox: another queue puts, the session's thread takes.
final class Inbox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func put(_ item: T) { lock.lock(); items.append(item); lock.unlock() }
    func takeAll() -> [T] { lock.lock(); defer { lock.unlock() }; let taken = items; items = []; return taken }
}
