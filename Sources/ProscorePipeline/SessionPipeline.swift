import Dispatch
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscoreScoring
import ProscoreTensor

/// What the pipeline needs besides its source: the encoder and how to run it.
public struct PipelineConfiguration {
    public var encoder: AudioEncoder
    public var vocabulary: CTCVocabulary
    public var streaming: StreamingSettings
    public var endpoint = EndpointSettings()
    public var windowSeconds = 30.0
    public var pauseThresholdSeconds = 0.25
    public var ringSeconds = 10.0
    /// Scores the rolling window when given: from the fluency measures, and from the
    /// window's mean hidden states when the head reads encoder layers.
    public var head: ProficiencyHead?
    /// The text being read aloud, when there is one.
    public var referenceText: String?
    /// Where the model and head came from, for the session record.
    public var modelPath = ""
    public var headPath: String?

    public init(encoder: AudioEncoder, vocabulary: CTCVocabulary, streaming: StreamingSettings) {
        self.encoder = encoder
        self.vocabulary = vocabulary
        self.streaming = streaming
    }
}

/// source → ring buffer → streaming encoder → CTC decoder → fluency measures (and the
/// scheduled text pass) → events. The source runs on its own thread; everything else runs
/// on the thread that calls `run`, except text scoring, which has its own queue.
public final class SessionPipeline {
    public let configuration: PipelineConfiguration
    private let textScoring: ScheduledTextScoring?
    private let fluency: FluencyAnalyzer

    /// `textScorer`, when given, scores the transcript on its own queue every
    /// `textScoringEverySeconds` of new final words and at each endpoint.
    public init(configuration: PipelineConfiguration, textScorer: TextScoring? = nil, textScoringEverySeconds: Double = 10,
                syllableCounter: SyllableCounter = SyllableCounter()) {
        self.configuration = configuration
        fluency = FluencyAnalyzer(syllableCounter: syllableCounter, pauseThresholdSeconds: configuration.pauseThresholdSeconds)
        textScoring = textScorer.map { ScheduledTextScoring(scorer: $0, everySeconds: textScoringEverySeconds) }
    }

    /// Runs until the source ends (or is stopped); calls `observe` with every event.
    /// Returns the final words of the whole session.
    @discardableResult
    public func run(source: AudioSource, observe: (PipelineEvent) -> Void) throws -> [TranscribedWord] {
        let c = configuration
        let ring = AudioRingBuffer(seconds: c.ringSeconds)
        let stream = StreamingEncoder(encoder: c.encoder, settings: c.streaming)
        let decoder = StreamingCTCDecoder(vocabulary: c.vocabulary, endpoint: c.endpoint)
        let samplesPerFrame = c.encoder.samplesPerFrame
        var audio: [Float] = []          // recent audio for frame energies (16 kHz mono)
        var audioOffset = 0              // stream index of audio[0]
        var totalSamples = 0
        var speech: [Bool] = []
        var words: [TranscribedWord] = []
        var compute = 0.0
        // Per chunk: frames and per-layer sums of hidden states (for heads that read layers).
        var layerSums: [(frames: Int, sums: [[Double]])] = []
        let started = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

        func handle(_ chunks: [StreamingChunk], arrival: (StreamingChunk) -> Double) {
            for chunk in chunks {
                guard let logits = chunk.logits else { continue }
                let energy = FrameEnergy.decibels(audio, frames: chunk.frameCount, firstFrame: chunk.firstFrame,
                                                  hop: samplesPerFrame, sampleOffset: audioOffset)
                let update = decoder.feed(logits: logits, frameEnergyDb: energy)
                let chunkSpeech = SpeechActivity().classify(blankPosterior: c.vocabulary.blankPosterior(logits),
                                                            energyDb: energy)
                speech += chunkSpeech
                if !update.finalWords.isEmpty {
                    words += update.finalWords
                    observe(.words(update.finalWords))
                    textScoring?.add(update.finalWords)
                }
                if let u = update.endedUtterance {
                    observe(.utterance(u))
                    textScoring?.utteranceEnded()
                }
                if let head = c.head, !head.layers.isEmpty {
                    layerSums.append((chunk.frameCount, head.layers.map { l in chunk.hiddenStates[l].columnSums() }))
                    var frames = layerSums.reduce(0) { $0 + $1.frames }
                    while frames - (layerSums.first?.frames ?? 0) >= Int(c.windowSeconds / 0.02), layerSums.count > 1 {
                        frames -= layerSums.removeFirst().frames
                    }
                }
                observe(.estimate(makeEstimate(partialWord: update.partialWord, firstFrame: chunk.firstFrame, energy: energy,
                                               chunkSpeech: chunkSpeech, latencyMs: max(0, (now() - arrival(chunk)) * 1000))))
            }
        }

        /// The estimate after the latest frames: rolling and session measures, head scores,
        /// read-aloud completeness.
        func makeEstimate(partialWord: String, firstFrame: Int, energy: [Float], chunkSpeech: [Bool], latencyMs: Double) -> Estimate {
            let timed = words.map { TimedWord(text: $0.text, startSeconds: $0.startSeconds, endSeconds: $0.endSeconds) }
            let (window, session) = fluency.rolling(speech: speech, words: timed, windowSeconds: c.windowSeconds)
            var scores: [String: Double]?
            if let head = c.head, window.endSeconds - window.startSeconds >= 1, window.syllables > 0 {
                var pooled: [[Float]] = []
                if !head.layers.isEmpty, let first = layerSums.first {
                    let frames = Double(layerSums.reduce(0) { $0 + $1.frames })
                    pooled = head.layers.indices.map { i in
                        (0..<first.sums[i].count).map { j in Float(layerSums.reduce(0) { $0 + $1.sums[i][j] } / frames) }
                    }
                }
                scores = head.predict(pooled: pooled, extras: window.headFeatures)
            }
            var completeness: Double?, omitted: [String]?, inserted: [String]?
            if let reference = c.referenceText {
                let r = reference.split(separator: " ").map(String.init)
                let a = ReferenceAlignment(reference: r, hypothesis: words.map(\.text))
                completeness = 10 * a.completeness
                // Omissions only up to the last recognised reference word: the rest may still come.
                let lastMatched = a.operations.compactMap { op -> Int? in if case let .match(ri, _) = op { return ri } else { return nil } }.max() ?? -1
                omitted = a.omissions.filter { $0 < lastMatched }.map { r[$0] }
                inserted = a.insertions.map { words[$0].text }
            }
            let inWindow = words.filter { $0.startSeconds >= window.startSeconds }
            let windowConfidence = inWindow.isEmpty ? nil : inWindow.reduce(0) { $0 + $1.confidence } / Double(inWindow.count)
            let partial = (decoder.currentUtterance.map(\.text) + [partialWord]).filter { !$0.isEmpty }.joined(separator: " ")
            let audioSeconds = Double(totalSamples) / 16_000
            return Estimate(
                audioSeconds: audioSeconds, window: window, session: session, scores: scores, windowConfidence: windowConfidence,
                completeness: completeness, omittedWords: omitted, insertedWords: inserted, partialTranscript: partial,
                emitLatencyMs: latencyMs, realTimeFactor: audioSeconds > 0 ? compute / audioSeconds : 0,
                droppedSamples: ring.droppedSamples, firstFrame: firstFrame,
                frameEnergyDb: energy.map { ($0 * 10).rounded() / 10 }, frameSpeech: chunkSpeech)
        }

        try source.start(into: ring)
        var piece = [Float](repeating: 0, count: 320)
        // When each read's samples arrived (wall clock), to time a chunk from its last sample.
        var reads: [(endSample: Int, seconds: Double)] = []
        var nextRead = 0
        func arrival(of chunk: StreamingChunk) -> Double {
            let lastSample = (chunk.firstFrame + chunk.frameCount - 1) * samplesPerFrame + c.encoder.config.receptiveFieldSamples
            while nextRead < reads.count - 1 && reads[nextRead].endSample < lastSample { nextRead += 1 }
            return reads[nextRead].seconds
        }
        while !ring.isFinished {
            ring.waitForData(timeoutSeconds: 0.05)
            let n = piece.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            guard n > 0 else { continue }
            audio += piece[0..<n]
            totalSamples += n
            reads.append((totalSamples, now()))
            // Frames already emitted need no audio: keep the last few seconds only.
            let needed = stream.emittedFrames * samplesPerFrame - audioOffset
            if needed > 16_000 * 10 {
                audio.removeFirst(needed - 16_000)
                audioOffset += needed - 16_000
            }
            let t0 = now()
            let chunks = stream.feed(Array(piece[0..<n]))
            compute += now() - t0
            handle(chunks, arrival: arrival)
        }
        let t0 = now()
        let tail = stream.finish()
        compute += now() - t0
        handle(tail) { _ in reads.last?.seconds ?? t0 }
        let end = decoder.finish()
        if !end.finalWords.isEmpty { words += end.finalWords; observe(.words(end.finalWords)); textScoring?.add(end.finalWords) }
        if let u = end.endedUtterance { observe(.utterance(u)) }
        // A last estimate with every word final (the end of the stream closes the last one).
        observe(.estimate(makeEstimate(partialWord: "", firstFrame: speech.count, energy: [], chunkSpeech: [], latencyMs: 0)))
        for scores in textScoring?.finish() ?? [] { observe(.textScores(scores)) }
        return words
    }
}
