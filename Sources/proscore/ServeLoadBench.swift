import ArgumentParser
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import ProscoreAudio
import ProscorePipeline

/// `proscore bench serve`: a bounded load test of a running `proscore serve`. N clients
/// stream a recording over `/v1/stream` at once, paced at real time (or as fast as the
/// server takes it), and stop by themselves. Each estimate's end-to-end latency is the
/// time from sending the audio it covers to receiving it; the server's own emit latency
/// (`emit_latency_ms`) is reported beside it.
struct ServeLoadBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Stream a recording from N WebSocket clients at once to a running `proscore serve`; report latency percentiles.")

    @Option(help: "The server's WebSocket base URL (the stream is its /v1/stream).") var url = "ws://127.0.0.1:8470"
    @Option(help: "Clients streaming at once.") var streams = 1
    @Option(help: "Recording each client streams (any format libsndfile reads).") var recording = "recordings/anna-morning.flac"
    @Option(help: "Seconds each client streams (the recording repeats); default: the recording once.") var seconds: Double?
    @Option(help: "1: real time, as a microphone sends; a larger number sends that many times faster; 'max': as fast as the server reads.")
    var speed = "1"
    @Option(help: "Audio per binary message, in milliseconds.") var chunkMs = 100
    @Option(help: "Milliseconds over which the clients' starts are spread.") var rampMs = 1000
    @Option(help: "File holding the bearer token, for a server started with --token-file.") var tokenFile: String?
    @Option(help: "Reference text sent with each stream (read-aloud scoring).") var reference: String?
    @Option(help: "The learner the server stores each stream under, so that load tests stand apart from a class's sessions (sessions list --learner NAME).")
    var learner = "proscore bench"
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        guard (1...1024).contains(streams) else { throw ValidationError("--streams must be between 1 and 1024.") }
        guard (10...2000).contains(chunkMs) else { throw ValidationError("--chunk-ms must be between 10 and 2000.") }
        guard speedFactor != nil else { throw ValidationError("--speed takes a positive number or 'max'.") }
        if let seconds, !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be more than 0 and at most 3600.") }
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://") else { throw ValidationError("--url must start with ws:// (or wss://).") }
        do { _ = try Learner.name(learner) } catch let error as SessionSetupError { throw ValidationError("--learner: \(error.message).") }
    }

    /// Real-time multiple; `.infinity` for max.
    var speedFactor: Double? {
        if speed == "max" { return .infinity }
        guard let v = Double(speed), v > 0 else { return nil }
        return v
    }

    func run() async throws {
        var samples = try AudioLoading.load16kMono(path: Installation.resolve(recording))
        guard !samples.isEmpty else { throw ValidationError("\(recording) holds no audio.") }
        if let seconds {
            let wanted = Int(seconds * 16_000)
            var looped = [Float]()
            looped.reserveCapacity(wanted)
            while looped.count < wanted { looped += samples.prefix(wanted - looped.count) }
            samples = looped
        }
        let token = try tokenFile.map(BearerTokenFile.read)
        let plan = LoadPlan(url: url.hasSuffix("/") ? url + "v1/stream" : url + "/v1/stream", pcm: AudioLoading.pcm16LittleEndian(samples),
                            chunkBytes: chunkMs * 32, speed: speedFactor ?? 1, token: token, reference: reference, learner: learner)
        let started = ContinuousClock.now
        let results = await withTaskGroup(of: StreamResult.self) { group in
            for i in 0..<streams {
                let delay = Duration.milliseconds(streams > 1 ? rampMs * i / streams : 0)
                group.addTask {
                    try? await Task.sleep(until: started + delay, clock: .continuous)
                    return await plan.stream()
                }
            }
            return await group.reduce(into: [StreamResult]()) { $0.append($1) }
        }
        let report = LoadReport(results: results, streams: streams, audioSeconds: Double(samples.count) / 16_000,
                                speed: speed, wallSeconds: (ContinuousClock.now - started).seconds)
        print(json ? report.json : report.text)
        if report.completed < streams { throw ExitCode(1) }
    }
}

/// What one client sends and how fast.
struct LoadPlan: Sendable {
    let url: String
    let pcm: [UInt8]
    let chunkBytes: Int
    let speed: Double
    let token: String?
    let reference: String?
    let learner: String

    /// The client library's errors as a user can act on them.
    static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("SingleConnectionFailure") || text.contains("onnection refused") || text.contains("connectTimeout") {
            return "cannot connect to the server: is `proscore serve` running at that address and port?"
        }
        if text.localizedCaseInsensitiveContains("upgrade failed") {
            return "the server refused the WebSocket upgrade (\(text)): a server started with --token-file needs the same token here (--token-file FILE), and --url is the server's base ws:// address"
        }
        return text
    }

    /// One client: start message, paced audio, stop; every message it receives is timed.
    func stream() async -> StreamResult {
        let log = StreamLog()
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 22)
        if let token { configuration.additionalHeaders = [.authorization: "Bearer \(token)"] }
        var start: [String: Any] = ["sample_rate": 16_000, "encoding": "pcm_s16le", "channels": 1]
        if let reference { start["reference"] = reference }
        start["learner"] = learner
        let startText = String(decoding: (try? JSONSerialization.data(withJSONObject: start)) ?? Data(), as: UTF8.self)
        let clock = ContinuousClock()
        var logger = Logger(label: "proscore.bench.serve")
        logger.logLevel = .critical
        do {
            let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                let t0 = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case let .text(text) = message { await log.received(text, at: (clock.now - t0).seconds) }
                        }
                    }
                    do {
                        try await outbound.write(.text(startText))
                        var offset = 0
                        while offset < pcm.count {
                            let end = min(offset + chunkBytes, pcm.count)
                            if speed.isFinite {
                                // Send each chunk when its last sample would have been spoken.
                                try await Task.sleep(until: t0 + .seconds(Double(end / 2) / 16_000 / speed), clock: .continuous)
                            }
                            try await outbound.write(.binary(ByteBuffer(bytes: pcm[offset..<end])))
                            await log.sent(audioSeconds: Double(end / 2) / 16_000, at: (clock.now - t0).seconds)
                            offset = end
                        }
                        try await outbound.write(.text(#"{"type":"stop"}"#))
                    } catch let error as ChannelError where error == .ioOnClosedChannel {
                        // The server closed the stream while audio was going out: its close
                        // frame, read below, says why.
                    }
                    try await group.waitForAll()
                }
            }
            await log.closed(code: close.map { "\($0.closeCode)" }, reason: close?.reason)
        } catch let error as ChannelError where error == .ioOnClosedChannel {
            await log.failed("the server closed the connection mid-stream (it was shut down, or it refused the stream: its log says which)")
        } catch {
            await log.failed(LoadPlan.describe(error))
        }
        return await log.result
    }
}

/// A client's timeline: when audio went out, when each message came back.
actor StreamLog {
    private var sendTimes: [(audio: Double, at: Double)] = []
    private(set) var result = StreamResult()

    func sent(audioSeconds: Double, at seconds: Double) { sendTimes.append((audioSeconds, seconds)) }

    func received(_ text: String, at seconds: Double) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        if let estimate = object["estimate"] as? [String: Any], let audio = estimate["audio_s"] as? Double {
            // The first send that carried audio up to `audio` seconds.
            if let sent = sendTimes.first(where: { $0.audio >= audio - 1e-6 }) {
                result.endToEndMs.append((seconds - sent.at) * 1000)
                result.endToEndAudioSeconds.append(audio)
            }
            if let server = estimate["emit_latency_ms"] as? Double { result.serverEmitMs.append(server) }
        } else if object["summary"] != nil {
            result.status = object["status"] as? String
            result.sessionId = (object["session_id"] as? NSNumber)?.int64Value
            if let summary = object["summary"] as? [String: Any] {
                result.realTimeFactor = summary["rtf"] as? Double
                result.droppedSamples = (summary["dropped_samples"] as? NSNumber)?.intValue ?? 0
            }
            if let lastSend = sendTimes.last { result.finalAfterStopMs = (seconds - lastSend.at) * 1000 }
        }
    }

    func closed(code: String?, reason: String?) {
        result.closeCode = code
        guard result.status != "complete", result.error == nil else { return }
        if let reason, !reason.isEmpty {
            result.error = reason
        } else {
            result.error = "the server closed the stream (\(code ?? "no close code")) before its summary: it was shut down, or its log says why"
        }
    }

    func failed(_ message: String) { result.error = message }
}

/// What one client saw.
struct StreamResult: Sendable {
    var endToEndMs: [Double] = []
    /// The audio position of each of `endToEndMs`.
    var endToEndAudioSeconds: [Double] = []
    var serverEmitMs: [Double] = []
    var status: String?
    var sessionId: Int64?
    var realTimeFactor: Double?
    var droppedSamples = 0
    var finalAfterStopMs: Double?
    var closeCode: String?
    var error: String?
}

/// Percentiles over every client's estimates.
struct LoadReport {
    let results: [StreamResult]
    let streams: Int
    let audioSeconds: Double
    let speed: String
    let wallSeconds: Double

    var completed: Int { results.filter { $0.status == "complete" }.count }
    var endToEnd: [Double] { results.flatMap(\.endToEndMs).sorted() }
    var serverEmit: [Double] { results.flatMap(\.serverEmitMs).sorted() }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
    }

    var object: [String: Any] {
        let finals = results.compactMap(\.finalAfterStopMs).sorted()
        var o: [String: Any] = [
            "streams": streams, "completed": completed, "audio_s_per_stream": audioSeconds, "speed": speed,
            "wall_s": wallSeconds, "estimates": endToEnd.count,
            "dropped_samples": results.map(\.droppedSamples).reduce(0, +),
            "session_ids": results.compactMap(\.sessionId).sorted(),
            "errors": results.compactMap(\.error),
        ]
        for (name, values) in [("end_to_end_ms", endToEnd), ("server_emit_ms", serverEmit), ("final_after_stop_ms", finals)] {
            var q: [String: Double] = [:]
            for p in [50.0, 95, 100] { if let v = Self.percentile(values, p) { q[p == 100 ? "max" : "p\(Int(p))"] = (v * 10).rounded() / 10 } }
            o[name] = q
        }
        // p95 by 5 s of audio into the stream: whether latency grows as sessions go on.
        var buckets: [Int: [Double]] = [:]
        for r in results { for (ms, audio) in zip(r.endToEndMs, r.endToEndAudioSeconds) { buckets[Int(audio / 5), default: []].append(ms) } }
        o["end_to_end_p95_ms_by_5s"] = buckets.keys.sorted().map { ((Self.percentile(buckets[$0]!.sorted(), 95) ?? 0) * 10).rounded() / 10 }
        let rtfs = results.compactMap(\.realTimeFactor)
        if !rtfs.isEmpty { o["mean_rtf"] = rtfs.reduce(0, +) / Double(rtfs.count) }
        return o
    }

    var json: String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    var text: String {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.0f ms", $0) } ?? "–" }
        let finals = results.compactMap(\.finalAfterStopMs).sorted()
        let rtfs = results.compactMap(\.realTimeFactor)
        let scored = Double(completed) * audioSeconds
        var lines = [
            "streams \(streams) (\(completed) completed), \(String(format: "%.1f", audioSeconds)) s of audio each at speed \(speed), \(String(format: "%.1f", wallSeconds)) s wall",
            String(format: "throughput: %.1f s of audio scored in %.1f s, %.1f× real time", scored, wallSeconds, scored / max(wallSeconds, 1e-9))
                + (rtfs.isEmpty ? "" : String(format: " (the sessions' mean real-time factor %.3f)", rtfs.reduce(0, +) / Double(rtfs.count))),
            "end-to-end latency of \(endToEnd.count) estimates (the last sample an estimate needs sent → the estimate received; "
                + "faster than real time it counts the stream's own queue): p50 \(ms(Self.percentile(endToEnd, 50))), "
                + "p95 \(ms(Self.percentile(endToEnd, 95))), max \(ms(Self.percentile(endToEnd, 100)))",
            "server emit latency (as the server measures it: a chunk's last sample arrived → its estimate sent): "
                + "p50 \(ms(Self.percentile(serverEmit, 50))), p95 \(ms(Self.percentile(serverEmit, 95)))",
            "final scores after stop: p50 \(ms(Self.percentile(finals, 50))), max \(ms(Self.percentile(finals, 100)))",
            "dropped samples: \(results.map(\.droppedSamples).reduce(0, +))",
        ]
        for error in Set(results.compactMap(\.error)).sorted() { lines.append("error: \(error)") }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
