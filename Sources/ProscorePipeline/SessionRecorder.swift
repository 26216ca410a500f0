import Foundation
import ProscoreCheckpoint
import ProscoreStore

/// Records a session in the session store: the record is created when audio first flows
/// (status `running`, this process's id), every event is committed as it comes, and the
/// end sets the final status (`complete`, `stopped` or `failed` with its error) and the
/// summary. A process that dies leaves the session `running` with a dead process id,
/// which the store reads back as `interrupted`.
public final class StoreSessionRecorder: SessionRecording {
    public let store: any SessionStore
    public let settings: SessionSettings
    public private(set) var sessionId: Int64?
    private let configurationJSON: String

    public init(store: any SessionStore, settings: SessionSettings) throws {
        self.store = store
        self.settings = settings
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        configurationJSON = String(decoding: try encoder.encode(settings), as: UTF8.self)
    }

    public func begin(source: String) throws -> Int64? {
        let id = try store.begin(source: source, modelPath: settings.model,
                                 modelFingerprint: CheckpointFingerprint.of(directory: settings.model),
                                 configuration: configurationJSON)
        sessionId = id
        return id
    }

    public func record(_ event: PipelineEvent) throws {
        guard let id = sessionId else { return }
        switch event {
        case let .estimate(e):
            try store.append(session: id, kind: .estimate, audioSeconds: e.audioSeconds, payload: e, droppedSamples: e.droppedSamples)
        case let .words(words):
            for w in words { try store.append(session: id, kind: .word, audioSeconds: w.endSeconds, payload: w) }
        case let .utterance(u):
            try store.append(session: id, kind: .utterance, audioSeconds: u.endSeconds, payload: u)
        case let .textScores(t):
            try store.append(session: id, kind: .textScores, audioSeconds: t.endSeconds, payload: t)
        case .started, .ended:
            break
        }
    }

    public func end(_ outcome: SessionOutcome, summary: SessionSummary, processedSeconds: Double) throws {
        guard let id = sessionId else { return }
        var error: String?
        switch outcome {
        case .complete, .stopped: break
        case let .interrupted(reason), let .failed(reason): error = reason
        }
        try store.end(session: id, status: outcome.status, summary: summary, processedSeconds: processedSeconds,
                      droppedSamples: summary.droppedSamples, error: error)
    }
}

extension SessionOutcome {
    /// The stored status this outcome becomes.
    public var status: SessionStatus {
        switch self {
        case .complete: return .complete
        case .stopped: return .stopped
        case .interrupted: return .interrupted
        case .failed: return .failed
        }
    }
}
