import Foundation
import ProscoreModels
import ProscoreTensor

/// A named streaming setting in a JSON file under configs/, with the numbers measured
/// for it. Keys are snake_case; `measured` is informational and may be absent.
///
/// ```json
/// { "name": "balanced", "description": "…",
///   "streaming": { "chunk_ms": 640, "left_context_ms": 1280, "lookahead_ms": 160, "reuse_left_context": true },
///   "pipeline": { "model": "models/proscore-small-ctc", "head": "configs/heads/fluency.json",
///                 "window_s": 30, "pause_ms": 250, "endpoint_ms": 600, "text_scoring_every_s": 10 },
///   "measured": { … } }
/// ```
public struct StreamingPreset: Codable, Sendable, Equatable {
    public struct Window: Codable, Sendable, Equatable {
        public var chunkMs: Int
        public var leftContextMs: Int
        public var lookaheadMs: Int
        public var reuseLeftContext: Bool

        public init(chunkMs: Int, leftContextMs: Int, lookaheadMs: Int, reuseLeftContext: Bool) {
            self.chunkMs = chunkMs
            self.leftContextMs = leftContextMs
            self.lookaheadMs = lookaheadMs
            self.reuseLeftContext = reuseLeftContext
        }

        enum CodingKeys: String, CodingKey {
            case chunkMs = "chunk_ms", leftContextMs = "left_context_ms", lookaheadMs = "lookahead_ms"
            case reuseLeftContext = "reuse_left_context"
        }
    }

    /// What `tune` or `bench streaming` measured for this setting.
    public struct Measured: Codable, Sendable, Equatable {
        public var model: String
        public var audio: [String]
        public var threads: Int
        public var algorithmicLatencyMs: Double
        public var stepComputeMsP50: Double
        public var stepComputeMsP95: Double
        public var emitLatencyMsP50: Double
        public var emitLatencyMsP95: Double
        public var realTimeFactor: Double
        public var offlineRealTimeFactor: Double
        /// Mean cosine similarity to offline, per hidden-state index.
        public var layerMeanCosine: [Double]
        public var layerMaxAbsDifference: [Double]
        /// Share of recordings whose greedy transcript equals the offline one (nil: no CTC head).
        public var transcriptAgreement: Double?
        /// Which GEMM ran the weights: "packed AVX-512 kernel" or "OpenBLAS" (absent in
        /// older files).
        public var gemm: String?
        /// fp32 or int8 (absent in older files: fp32).
        public var precision: String?
        public var date: String

        enum CodingKeys: String, CodingKey {
            case model, audio, threads, date, gemm, precision
            case algorithmicLatencyMs = "algorithmic_latency_ms"
            case stepComputeMsP50 = "step_compute_ms_p50", stepComputeMsP95 = "step_compute_ms_p95"
            case emitLatencyMsP50 = "emit_latency_ms_p50", emitLatencyMsP95 = "emit_latency_ms_p95"
            case realTimeFactor = "rtf", offlineRealTimeFactor = "offline_rtf"
            case layerMeanCosine = "layer_mean_cosine", layerMaxAbsDifference = "layer_max_abs_difference"
            case transcriptAgreement = "transcript_agreement"
        }
    }

    /// Pipeline settings a preset may also carry; command-line options override them.
    public struct Pipeline: Codable, Sendable, Equatable {
        public var model: String?
        /// The free-speech head and the read-aloud head (used when a reference is given).
        public var head: String?
        public var readAloudHead: String?
        /// fp32 or int8.
        public var precision: Precision?
        /// Rolling window of the fluency measures, seconds.
        public var windowSeconds: Double?
        public var pauseMs: Int?
        public var endpointMs: Int?
        /// Seconds of new final words between text-scoring passes.
        public var textScoringEverySeconds: Double?

        public init(model: String? = nil, head: String? = nil, readAloudHead: String? = nil, precision: Precision? = nil) {
            self.model = model
            self.head = head
            self.readAloudHead = readAloudHead
            self.precision = precision
        }

        /// What is wrong with these values, in the command line's ranges (nil when nothing).
        public var problem: String? {
            if let windowSeconds, !(5...600).contains(windowSeconds) { return "pipeline.window_s \(windowSeconds) must be 5–600 (seconds)" }
            if let pauseMs, !(50...5_000).contains(pauseMs) { return "pipeline.pause_ms \(pauseMs) must be 50–5000" }
            if let endpointMs, !(100...10_000).contains(endpointMs) { return "pipeline.endpoint_ms \(endpointMs) must be 100–10000" }
            if let textScoringEverySeconds, !(1...600).contains(textScoringEverySeconds) {
                return "pipeline.text_scoring_every_s \(textScoringEverySeconds) must be 1–600 (seconds)"
            }
            return nil
        }

        enum CodingKeys: String, CodingKey {
            case model, head
            case readAloudHead = "read_aloud_head", precision
            case windowSeconds = "window_s", pauseMs = "pause_ms", endpointMs = "endpoint_ms"
            case textScoringEverySeconds = "text_scoring_every_s"
        }
    }

    public var name: String
    public var description: String
    public var streaming: Window
    public var pipeline: Pipeline?
    public var measured: Measured?

    public init(name: String, description: String, settings: StreamingSettings, measured: Measured? = nil) {
        let f = StreamingSettings.frameMilliseconds
        self.name = name
        self.description = description
        streaming = Window(chunkMs: settings.chunkFrames * f, leftContextMs: settings.leftContextFrames * f,
                           lookaheadMs: settings.lookaheadFrames * f, reuseLeftContext: settings.reuseLeftContext)
        self.measured = measured
    }

    public var settings: StreamingSettings {
        StreamingSettings(chunkMs: streaming.chunkMs, leftContextMs: streaming.leftContextMs,
                          lookaheadMs: streaming.lookaheadMs, reuseLeftContext: streaming.reuseLeftContext)
    }

    /// "'streaming.chunk_ms': expected a number" rather than the decoder's dump.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .dataCorrupted(c):
            let key = c.codingPath.map(\.stringValue).joined(separator: ".")
            let what = c.underlyingError.map { _ in "not valid JSON" } ?? c.debugDescription
            return key.isEmpty ? what : "'\(key)': \(what)"
        case let .keyNotFound(key, c):
            let at = c.codingPath.map(\.stringValue).joined(separator: ".")
            return "'\(at.isEmpty ? key.stringValue : at + "." + key.stringValue)' is missing"
        @unknown default:
            return "\(error)"
        }
    }

    /// Reads a preset file; errors name the file and what is wrong.
    public static func load(path: String) throws -> StreamingPreset {
        guard let data = FileManager.default.contents(atPath: path) else {
            let names = Installation.presetNames()
            let known = names.isEmpty ? "" : ": " + names.joined(separator: ", ")
            throw PresetError(path: path, detail: "no such preset; give a preset's name or its file (the presets in \(Installation.presetsFolder)/\(known))")
        }
        let preset: StreamingPreset
        do {
            preset = try JSONDecoder().decode(StreamingPreset.self, from: data)
        } catch let error as DecodingError {
            throw PresetError(path: path, detail: "not a streaming preset (see configs/balanced.json for the form): \(Self.describe(error))")
        }
        if let problem = preset.settings.problem ?? preset.pipeline?.problem { throw PresetError(path: path, detail: problem) }
        return preset
    }

    public func write(path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

public struct PresetError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
    public var errorDescription: String? { description }
}

extension StreamingPreset.Measured {
    /// The measurement of several recordings under one setting, summarised.
    public init(reports: [StreamingReport], model: String, audio: [String], threads: Int) {
        func mean(_ f: (StreamingReport) -> Double) -> Double { reports.map(f).reduce(0, +) / Double(max(1, reports.count)) }
        func worst(_ f: (StreamingReport) -> Double) -> Double { reports.map(f).max() ?? 0 }
        let layers = reports.first?.fidelity.layers.count ?? 0
        let agreements = reports.compactMap { $0.fidelity.transcriptsAgree }
        let formatter = ISO8601DateFormatter()
        self.init(
            model: model, audio: audio, threads: threads,
            algorithmicLatencyMs: reports.first?.algorithmicLatencyMs ?? 0,
            stepComputeMsP50: mean { $0.stepComputeMs.p50 }, stepComputeMsP95: worst { $0.stepComputeMs.p95 },
            emitLatencyMsP50: mean { $0.emitLatencyMs.p50 }, emitLatencyMsP95: worst { $0.emitLatencyMs.p95 },
            realTimeFactor: mean { $0.realTimeFactor }, offlineRealTimeFactor: mean { $0.offlineRealTimeFactor },
            layerMeanCosine: (0..<layers).map { i in mean { $0.fidelity.layers[i].meanCosine } },
            layerMaxAbsDifference: (0..<layers).map { i in worst { Double($0.fidelity.layers[i].maxAbsDifference) } },
            transcriptAgreement: agreements.isEmpty ? nil : Double(agreements.filter { $0 }.count) / Double(agreements.count),
            gemm: PackedMatrix.engineName, precision: nil,
            date: formatter.string(from: Date()))
    }
}
