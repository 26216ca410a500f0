import Dispatch
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import ProscoreUnits

// Fakes of the session pipeline's stages, for the tests of the pipeline, the store and
// the report. Not part of the command.

/// A source that delivers an array of samples: all at once, or piece by piece with a
/// pause between pieces (so that a test can act mid-session).
public final class ArraySource: AudioSource, @unchecked Sendable {
    public let name = "array"
    let samples: [Float]
    let pieceSamples: Int
    let pauseSeconds: Double
    private let stopped = NSLock()
    private var stopRequested = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    public var endReason: String?

    public init(samples: [Float], pieceSamples: Int = 16_000, pauseSeconds: Double = 0) {
        self.samples = samples
        self.pieceSamples = pieceSamples
        self.pauseSeconds = pauseSeconds
    }

    public var statistics: AudioSourceStatistics {
        var s = AudioSourceStatistics()
        s.endReason = endReason
        return s
    }

    public func start(into ring: AudioRingBuffer) throws {
        let t = Thread { [self] in
            var i = 0
            while i < samples.count {
                stopped.lock(); let stop = stopRequested; stopped.unlock()
                if stop { break }
                let piece = Array(samples[i..<min(samples.count, i + pieceSamples)])
                while ring.freeSpace < piece.count { usleep(500) }
                ring.write(piece)
                i += pieceSamples
                if pauseSeconds > 0 { usleep(UInt32(pauseSeconds * 1e6)) }
            }
            ring.finish()
            done.signal()
        }
        thread = t
        t.start()
    }

    public func stop() {
        stopped.lock(); stopRequested = true; stopped.unlock()
        guard thread != nil else { return }
        done.wait()
        done.signal()
    }
}

/// A source whose device cannot be opened.
public final class BrokenSource: AudioSource {
    public let name = "broken"
    public init() {}
    public var statistics: AudioSourceStatistics { AudioSourceStatistics() }
    public func start(into ring: AudioRingBuffer) throws { throw SessionSetupError("no such device") }
    public func stop() {}
}

/// An encoder that emits one chunk of `chunkFrames` frames per `chunkFrames × 320`
/// samples, with logits scripted per frame: `script(frame)` names the winning token.
public final class ScriptedEncoder: StreamingEncoding {
    let vocabulary: CTCVocabulary
    let chunkFrames: Int
    let hidden = 4
    let script: (Int) -> String
    public let samplesPerFrame = FrameGeometry.samplesPerFrame
    public let receptiveFieldSamples = 400
    public private(set) var emittedFrames = 0
    private var pending = 0

    public init(vocabulary: CTCVocabulary, chunkFrames: Int = 10, script: @escaping (Int) -> String) {
        self.vocabulary = vocabulary
        self.chunkFrames = chunkFrames
        self.script = script
    }

    public func feed(_ samples: [Float]) -> [StreamingChunk] {
        pending += samples.count
        var chunks: [StreamingChunk] = []
        while pending >= chunkFrames * samplesPerFrame {
            pending -= chunkFrames * samplesPerFrame
            chunks.append(chunk(frames: chunkFrames))
        }
        return chunks
    }

    public func finish() -> [StreamingChunk] {
        let frames = pending / samplesPerFrame
        pending = 0
        return frames > 0 ? [chunk(frames: frames)] : []
    }

    private func chunk(frames: Int) -> StreamingChunk {
        let v = vocabulary.tokens.count
        var logits = Tensor(zeros: [frames, v])
        for f in 0..<frames {
            let id = vocabulary.tokens.firstIndex(of: script(emittedFrames + f)) ?? vocabulary.blank
            logits.scalars[f * v + id] = 10
        }
        // Hidden states carry the frame index, so pooled layers are checkable.
        let states = (0..<3).map { _ in Tensor(shape: [frames, hidden], scalars: (0..<frames * hidden).map { Float(emittedFrames + $0 / hidden) }) }
        defer { emittedFrames += frames }
        return StreamingChunk(firstFrame: emittedFrames, hiddenStates: states, lastHiddenState: states.last!, logits: logits, computeSeconds: 0)
    }
}

/// Scores every window with fixed values and remembers what it saw.
public final class FixedScorer: ProficiencyScoring, @unchecked Sendable {
    public let layers: [Int]
    public let extraFeatures: [String]
    public private(set) var calls = 0
    /// The window features of the last call, by name.
    public private(set) var lastExtras: [String: Double] = [:]
    public private(set) var lastPooled: [[Float]] = []
    public let readingGapFloor: Double?
    let fixed: ProficiencyScores
    public init(layers: [Int] = [], extraFeatures: [String] = [],
                scores: ProficiencyScores = ProficiencyScores(accuracy: 6, fluency: 7, prosodic: 5, total: 6.5), readingGapFloor: Double? = nil) {
        self.layers = layers
        self.extraFeatures = extraFeatures
        self.readingGapFloor = readingGapFloor
        fixed = scores
    }
    public func scores(pooled: [[Float]], extras: [Double]) -> ProficiencyScores {
        calls += 1
        lastExtras = Dictionary(uniqueKeysWithValues: zip(extraFeatures, extras))
        lastPooled = pooled
        return fixed
    }
}

/// Text scoring that takes a while, like a BERT pass.
public final class SlowTextScorer: TextScoring, @unchecked Sendable {
    let delaySeconds: Double
    public init(delaySeconds: Double) { self.delaySeconds = delaySeconds }
    public func score(_ words: [TranscribedWord]) -> TextScores {
        usleep(UInt32(delaySeconds * 1e6))
        return TextScores(startSeconds: words.first?.startSeconds ?? 0, endSeconds: words.last?.endSeconds ?? 0,
                          words: words.count, relevance: nil, coherence: nil, lexicalDiversity: 5)
    }
}

/// Keeps a session's record in memory.
public final class MemoryRecorder: SessionRecording {
    public var began: String?
    public var events: [PipelineEvent] = []
    public var ended: (outcome: SessionOutcome, summary: SessionSummary, processedSeconds: Double)?
    /// Fails every record after this many (a session deleted mid-way).
    public var failAfter: Int?

    public init() {}
    public func begin(source: String) throws -> Int64? { began = source; return 7 }
    public func record(_ event: PipelineEvent) throws {
        if let failAfter, events.count >= failAfter { throw SessionSetupError("session 7 was deleted while it was running") }
        events.append(event)
    }
    public func end(_ outcome: SessionOutcome, summary: SessionSummary, processedSeconds: Double) throws {
        ended = (outcome, summary, processedSeconds)
    }
}

public let testVocabulary = CTCVocabulary(tokens: ["<pad>", "<s>", "</s>", "<unk>", "|", "E", "T", "A", "O", "N", "I", "H", "S", "R", "D", "L"])

/// A second of "HI" then a word boundary, repeated: each word 5 frames, then 5 frames of "|".
public func greeting(_ frame: Int) -> String {
    switch frame % 10 { case 0, 1: return "H"; case 2: return "<pad>"; case 3, 4: return "I"; default: return "|" }
}

/// Speech-like sound for `seconds`: a voice whose pitch glides (120 ± 30 Hz) with three
/// harmonics and four syllable-like swells a second. It passes the speech gate as speech.
public func loud(seconds: Double) -> [Float] {
    var phase = 0.0
    return (0..<FrameGeometry.samples(seconds: seconds)).map { i in
        let t = Double(i) / Double(FrameGeometry.sampleRate)
        phase += 2 * .pi * (120 + 30 * sin(2 * .pi * 1.3 * t)) / Double(FrameGeometry.sampleRate)
        let swell = 0.55 + 0.45 * sin(2 * .pi * 4 * t)
        return Float(0.2 * swell * (sin(phase) + 0.5 * sin(2 * phase) + 0.25 * sin(3 * phase)))
    }
}

public func settings(reference: String? = nil, windowSeconds: Double = 30) -> SessionSettings {
    SessionSettings(preset: "test", model: "scripted", head: nil, textModel: nil,
                    streaming: .init(chunkMs: 200, leftContextMs: 0, lookaheadMs: 0, reuseLeftContext: false),
                    endpointMs: 600, maxUtteranceSeconds: 30, windowSeconds: windowSeconds, pauseMs: 250,
                    textScoringEverySeconds: 0.5, reference: reference, threads: 1, ringSeconds: 10)
}
