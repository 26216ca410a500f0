import Dispatch
import ProscoreTensor

/// Frames emitted by one streaming step.
public struct StreamingChunk: Sendable {
    /// Index of the first emitted frame in the stream (frame i covers samples 320·i …).
    public let firstFrame: Int
    /// One tensor per hidden-state index (input of layer 1, then each layer), `[frames, hidden]`.
    public let hiddenStates: [Tensor]
    /// The encoder's output for these frames (after the final norm in pre-norm models).
    public let lastHiddenState: Tensor
    /// CTC logits `[frames, vocab]` when the model has a head.
    public let logits: Tensor?
    /// Wall time of the step, in seconds.
    public let computeSeconds: Double

    public var frameCount: Int { lastHiddenState.shape[0] }

    public init(firstFrame: Int, hiddenStates: [Tensor], lastHiddenState: Tensor, logits: Tensor?, computeSeconds: Double) {
        self.firstFrame = firstFrame
        self.hiddenStates = hiddenStates
        self.lastHiddenState = lastHiddenState
        self.logits = logits
        self.computeSeconds = computeSeconds
    }
}

/// A Wav2Vec2-family encoder over audio that arrives in pieces of any length.
///
/// Samples go through the conv stack with cached state (`StreamingFeatureEncoder`) and
/// the per-frame feature projection; the transformer then runs once per chunk on a window
/// of left context + chunk + lookahead frames and emits only the chunk's frames. The
/// positional conv sees the window too. All streaming state lives here and changes only
/// through `feed` and `finish`; use one instance from one thread.
public final class StreamingEncoder {
    public let encoder: AudioEncoder
    public let settings: StreamingSettings
    private let convStream: StreamingFeatureEncoder
    /// Projected features of frames `projectedStart ..< projectedStart + rows`.
    private var projected: [Float] = []
    private var projectedStart = 0
    /// Frames emitted so far.
    public private(set) var emittedFrames = 0
    /// Reuse mode: each layer's attention keys and values (`[n, 2·hidden]` rows) of the
    /// last emitted frames.
    private var cachedKeysValues: [[Float]]
    private var finished = false
    /// When set, receives the time spent in each stage of every step (profiles).
    public var clock: StageClock?
    /// Samples not yet run through the conv stack, and all samples received.
    private var pendingSamples: [Float] = []
    private var receivedSamples = 0
    /// The conv stack runs on at least this many samples at a time (80 ms), unless a step is
    /// due sooner: tiny pieces cost more per sample, while large batches delay the step that
    /// waits for them (the last batch before a step adds to its emit latency).
    public static let convBatchSamples = 1_280

    public init(encoder: AudioEncoder, settings: StreamingSettings) {
        precondition(settings.problem == nil, settings.problem ?? "")
        self.encoder = encoder
        self.settings = settings
        convStream = StreamingFeatureEncoder(encoder: encoder)
        cachedKeysValues = Array(repeating: [], count: encoder.layers.count)
    }

    /// Whether the conv stack streams exactly (no whole-utterance statistics).
    public var convStackIsExact: Bool { convStream.isExact }

    private var hidden: Int { encoder.config.hiddenSize }
    private var availableFrames: Int { projectedStart + projected.count / hidden }

    /// Feeds 16 kHz samples; returns the chunks they complete (often none).
    public func feed(_ samples: [Float]) -> [StreamingChunk] {
        precondition(!finished, "feed after finish")
        pendingSamples += samples
        receivedSamples += samples.count
        let nextStepLastFrame = emittedFrames + settings.chunkFrames + settings.lookaheadFrames - 1
        let nextStepNeeds = nextStepLastFrame * encoder.samplesPerFrame + encoder.config.receptiveFieldSamples
        if pendingSamples.count >= Self.convBatchSamples || receivedSamples >= nextStepNeeds { runConvStack() }
        var chunks: [StreamingChunk] = []
        while availableFrames >= emittedFrames + settings.chunkFrames + settings.lookaheadFrames {
            chunks.append(step(chunk: settings.chunkFrames))
        }
        return chunks
    }

    /// Ends the stream: emits every remaining frame with whatever right context exists.
    public func finish() -> [StreamingChunk] {
        finished = true
        runConvStack()
        var chunks: [StreamingChunk] = []
        while availableFrames > emittedFrames {
            chunks.append(step(chunk: min(settings.chunkFrames, availableFrames - emittedFrames)))
        }
        return chunks
    }

    private func runConvStack() {
        guard !pendingSamples.isEmpty else { return }
        let features = clock.measure("conv stack") { convStream.feed(pendingSamples) }
        pendingSamples.removeAll(keepingCapacity: true)
        if features.shape[0] > 0 { projected += clock.measure("feature projection") { encoder.featureProjection(features).scalars } }
    }

    private func step(chunk: Int) -> StreamingChunk {
        let start = DispatchTime.now().uptimeNanoseconds
        let h = hidden
        let end = min(availableFrames, emittedFrames + chunk + settings.lookaheadFrames)
        let windowStart = max(projectedStart, emittedFrames - settings.leftContextFrames)
        func rows(_ from: Int, _ to: Int) -> Tensor {
            Tensor(shape: [to - from, h],
                   scalars: Array(projected[((from - projectedStart) * h)..<((to - projectedStart) * h)]))
        }
        let states: [Tensor], last: Tensor, offset: Int
        var keysValues: [Tensor] = []
        if settings.reuseLeftContext && emittedFrames > windowStart {
            let left = emittedFrames - windowStart
            let cached = cachedKeysValues.map { Tensor(shape: [$0.count / (2 * h), 2 * h], scalars: $0) }
            precondition(cached[0].shape[0] == left, "cache out of step with the window")
            (states, last, keysValues) = encoder.transformer(rows(emittedFrames, end), leftProjected: rows(windowStart, emittedFrames),
                                                             cachedKeysValues: cached, clock: clock)
            offset = 0
        } else {
            (states, last, keysValues) = encoder.transformer(rows(windowStart, end), leftProjected: nil, cachedKeysValues: nil, clock: clock)
            offset = emittedFrames - windowStart
        }
        let emitted = offset..<(offset + chunk)
        let chunkStates = states.map { $0.rows(emitted) }
        let chunkLast = last.rows(emitted)
        if settings.reuseLeftContext {
            // Cache the emitted frames' keys and values (not the lookahead's: those frames
            // are computed again, with more right context, in the next step).
            for i in cachedKeysValues.indices {
                cachedKeysValues[i] += keysValues[i].rows(emitted).scalars
                let excess = cachedKeysValues[i].count - settings.leftContextFrames * 2 * h
                if excess > 0 { cachedKeysValues[i].removeFirst(excess) }
            }
        }
        let first = emittedFrames
        emittedFrames += chunk
        // Drop projected frames no later window reads (left context plus the positional
        // conv's reach).
        let keepFrom = max(projectedStart, emittedFrames - settings.leftContextFrames)
        if keepFrom > projectedStart {
            projected.removeFirst((keepFrom - projectedStart) * h)
            projectedStart = keepFrom
        }
        let logits = encoder.ctcHead?(chunkLast)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StreamingChunk(firstFrame: first, hiddenStates: chunkStates, lastHiddenState: chunkLast,
                              logits: logits, computeSeconds: seconds)
    }
}
