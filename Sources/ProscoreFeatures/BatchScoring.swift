import Dispatch
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline
import ProscoreScoring
import ProscoreUnits

/// What a head was given for a window: the pooled hidden states of every layer it asked
/// for and the named window features. `BatchScorer` captures it for the final estimate,
/// which is what `extract` stores for training.
public struct CapturedFeatures: Sendable, Equatable {
    public var layers: [Int]
    public var pooled: [[Float]]
    public var names: [String]
    public var values: [Double]
}

/// A scorer stage that records what it was given (and scores with the wrapped head, if
/// any). Captures every hidden state and every window feature, so that any head's inputs
/// can be cut from what it stored.
final class CapturingScorer: ProficiencyScoring, @unchecked Sendable {
    let layers: [Int]
    let extraFeatures = WindowFeatures.readAloudNames
    let head: ProficiencyHead?
    private(set) var last: CapturedFeatures?

    init(layerCount: Int, head: ProficiencyHead?) {
        layers = Array(0..<layerCount)
        self.head = head
    }

    func scores(pooled: [[Float]], extras: [Double]) -> ProficiencyScores {
        last = CapturedFeatures(layers: layers, pooled: pooled, names: extraFeatures, values: extras)
        guard let head else { return ProficiencyScores() }
        let named = Dictionary(uniqueKeysWithValues: zip(extraFeatures, extras))
        return ProficiencyScores(named: head.predict(pooled: head.layers.map { pooled[$0] }, extras: head.extraFeatures.map { named[$0] ?? 0 }))
    }
}

/// One file's result from `BatchScorer`.
public struct ScoredFile: Sendable {
    public var entry: ManifestEntry
    public var summary: SessionSummary?
    /// Set when the file could not be scored (unreadable, too short…); the batch goes on.
    public var error: String?
    public var captured: CapturedFeatures?
    public var durationSeconds: Double?
    /// The text the recording was scored against as read aloud; nil for free speech.
    public var reference: String?
}

/// Scores many recordings exactly as `replay --speed max` does, several at a time over one
/// copy of the models: the path `score`, `extract` and `evaluate` share.
public final class BatchScorer: @unchecked Sendable {
    public let models: LoadedModels
    /// Settings for every file; each file's reference replaces `reference`.
    public let settings: SessionSettings
    public let jobs: Int
    /// Capture each file's final head inputs (for training).
    public let capture: Bool

    public init(models: LoadedModels, settings: SessionSettings, jobs: Int = 1, capture: Bool = false) {
        self.models = models
        self.settings = settings
        self.jobs = max(1, jobs)
        self.capture = capture
    }

    private let stopState = StopFlag()

    /// Asks `run` to start no more files; those being scored are finished. From any thread.
    public func stop() { stopState.set() }

    /// Scores `entries` (`references[i]`, when given, is entry i's reference text); calls
    /// `onResult` once per entry, in completion order, never concurrently. After `stop()`,
    /// entries not yet started get no call.
    public func run(_ entries: [ManifestEntry], references: [String?]? = nil, onResult: @escaping (Int, ScoredFile) -> Void) {
        let work = WorkQueue(count: entries.count, stop: stopState, onResult: onResult)
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(1, entries.count)) {
            group.enter()
            let worker = Thread { [self] in
                while let i = work.take() { work.deliver(i, score(entries[i], reference: references?[i] ?? nil)) }
                group.leave()
            }
            worker.stackSize = 8 << 20
            worker.start()
        }
        group.wait()
    }

    /// Set once, read by the workers.
    private final class StopFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        func set() { lock.withLock { stopped = true } }
        var isSet: Bool { lock.withLock { stopped } }
    }

    /// Hands out indices (none once stopped) and serialises the results' delivery.
    private final class WorkQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int
        private let stop: StopFlag
        private let onResult: (Int, ScoredFile) -> Void
        init(count: Int, stop: StopFlag, onResult: @escaping (Int, ScoredFile) -> Void) {
            self.count = count; self.stop = stop; self.onResult = onResult
        }
        func take() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard next < count, !stop.isSet else { return nil }
            next += 1
            return next - 1
        }
        func deliver(_ i: Int, _ result: ScoredFile) { lock.lock(); onResult(i, result); lock.unlock() }
    }

    /// One file through the session pipeline at full speed.
    public func score(_ entry: ManifestEntry, reference: String?) -> ScoredFile {
        var result = ScoredFile(entry: entry)
        do {
            let source = try RecordingSource(path: entry.audio, speed: .asFastAsConsumed)
            result.durationSeconds = source.durationSeconds
            let reference = ReadingReference.text(reference)
            result.reference = reference
            var fileSettings = settings
            fileSettings.reference = reference
            let head = reference == nil ? models.head : (models.readAloudHead ?? models.head)
            let capturing = capture ? CapturingScorer(layerCount: models.encoder.config.numHiddenLayers + 1, head: head) : nil
            let pipeline = SessionBuilder.pipeline(settings: fileSettings, models: models, recorder: nil, scorer: capturing)
            result.summary = try pipeline.run(source: source) { _ in }
            // A file whose audio ends before its header says (an MP3's estimate, a cut WAV):
            // the duration is what was heard.
            if let heard = result.summary?.audioSeconds, heard < source.durationSeconds - 0.05 { result.durationSeconds = heard }
            result.captured = capturing?.last
            if let warning = source.statistics.warning { result.error = warning }
        } catch {
            result.error = "\(error)"
        }
        return result
    }
}
