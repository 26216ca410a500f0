import Foundation

/// How a session stands. `running` while a process writes it; the others are final.
public enum SessionStatus: String, Codable, Sendable, CaseIterable {
    case running
    /// The source ended and everything was scored.
    case complete
    /// Ended by the user (Ctrl-C, SIGTERM, `stop`) before the source ended.
    case stopped
    /// Ended before its source did without being stopped: the process died while the
    /// session was running (read back), or its network client went away (written).
    case interrupted
    /// An error ended it; `SessionRecord.error` says which.
    case failed
}

/// The kinds of stored events; the payload of each is the pipeline's Codable value of
/// the same name.
public enum SessionEventKind: String, Codable, Sendable, CaseIterable {
    case estimate, word, utterance
    case textScores = "text_scores"
}

/// A session as listed: when, from what, with which model, and how it ended.
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: Int64?
    public var startedAt: Date
    public var endedAt: Date?
    public var source: String
    public var modelPath: String
    /// Fingerprint of the model files (see `CheckpointFingerprint`).
    public var modelFingerprint: String
    /// The settings used, as JSON.
    public var configuration: String
    public var droppedSamples: Int
    /// The final summary, as JSON (nil while running, or if the process died).
    public var summary: String?
    /// As stored: `running` for a session whose process may have died since (see `status`).
    public var storedStatus: SessionStatus
    /// Why a `failed` session failed.
    public var error: String?
    /// The writing process, to tell a running session from an interrupted one.
    public var processId: Int32?
    public var hostName: String?
    /// Seconds of audio processed when it ended (stopped or failed sessions included).
    public var processedSeconds: Double?

    /// `interrupted` for a session stored as running whose process is gone. A session
    /// written from another host (several servers sharing one PostgreSQL store) cannot be
    /// checked from here and reads as stored.
    public var status: SessionStatus {
        guard storedStatus == .running else { return storedStatus }
        guard let pid = processId else { return .interrupted }
        if let hostName, hostName != ProcessInfo.processInfo.hostName { return .running }
        return kill(pid, 0) == 0 || errno == EPERM ? .running : .interrupted
    }

    enum CodingKeys: String, CodingKey {
        case id, source, configuration, summary, error
        case startedAt = "started_at", endedAt = "ended_at", modelPath = "model_path"
        case modelFingerprint = "model_fingerprint", droppedSamples = "dropped_samples"
        case storedStatus = "status", processId = "pid", hostName = "host", processedSeconds = "processed_s"
    }
}

/// One stored event of a session, its payload as JSON.
public struct SessionEvent: Codable, Sendable, Equatable {
    public var id: Int64?
    public var sessionId: Int64
    public var kind: SessionEventKind
    /// Seconds of audio into the session the event refers to.
    public var audioSeconds: Double
    public var payload: String

    /// The payload decoded as `type`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(payload.utf8))
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, payload
        case sessionId = "session_id", audioSeconds = "audio_s"
    }
}

public struct StoreError: Error, CustomStringConvertible, LocalizedError {
    public let detail: String
    public init(detail: String) { self.detail = detail }
    public var description: String { detail }
    public var errorDescription: String? { detail }
}

