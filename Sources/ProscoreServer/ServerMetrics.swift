import Foundation

/// The server's counters in the Prometheus text exposition format (version 0.0.4),
/// written here rather than through swift-prometheus: a handful of counters and two
/// histograms need no registry.
final class ServerMetrics: @unchecked Sendable {
    /// A cumulative histogram with fixed upper bounds.
    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (i, bound) in bounds.enumerated() where value <= bound { counts[i] += 1 }
            sum += value
            count += 1
        }

        func lines(_ name: String) -> [String] {
            zip(bounds, counts).map { "\(name)_bucket{le=\"\(format($0))\"} \($1)" }
                + ["\(name)_bucket{le=\"+Inf\"} \(count)", "\(name)_sum \(format(sum))", "\(name)_count \(count)"]
        }
    }

    private let lock = NSLock()
    private var sessionsStarted = 0
    private var rejected: [String: Int] = [:]
    private var audioSeconds = 0.0
    private var droppedSamples = 0
    private var realTimeFactor = Histogram(bounds: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2])
    private var emitLatency = Histogram(bounds: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5])

    func sessionStarted() { lock.withLock { sessionsStarted += 1 } }

    /// A session (stream or batch file) refused; `reason` is a label value (full, …).
    func rejectedSession(_ reason: String) { lock.withLock { rejected[reason, default: 0] += 1 } }

    func estimateEmitted(latencyMs: Double) { lock.withLock { emitLatency.observe(latencyMs / 1000) } }

    func sessionEnded(audioSeconds seconds: Double, realTimeFactor rtf: Double, droppedSamples dropped: Int) {
        lock.withLock {
            audioSeconds += seconds
            droppedSamples += dropped
            if seconds > 0 { realTimeFactor.observe(rtf) }
        }
    }

    /// Everything as Prometheus text; `activeSessions` and `maxSessions` are read at the call.
    func exposition(activeSessions: Int, maxSessions: Int) -> String {
        lock.lock()
        defer { lock.unlock() }
        var out: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ lines: [String]) {
            out += ["# HELP \(name) \(help)", "# TYPE \(name) \(type)"] + lines
        }
        metric("proscore_active_sessions", "gauge", "Sessions being scored now (streams and batch requests).",
               ["proscore_active_sessions \(activeSessions)"])
        metric("proscore_max_sessions", "gauge", "Sessions the server scores at once (--max-sessions).", ["proscore_max_sessions \(maxSessions)"])
        metric("proscore_sessions_started_total", "counter", "Sessions started.", ["proscore_sessions_started_total \(sessionsStarted)"])
        metric("proscore_rejected_sessions_total", "counter", "Sessions refused, by reason.",
               (rejected.isEmpty ? ["full": 0] : rejected).sorted { $0.key < $1.key }.map { "proscore_rejected_sessions_total{reason=\"\($0.key)\"} \($0.value)" })
        metric("proscore_audio_seconds_total", "counter", "Seconds of audio scored by ended sessions.",
               ["proscore_audio_seconds_total \(format(audioSeconds))"])
        metric("proscore_dropped_samples_total", "counter", "16 kHz samples lost because the pipeline fell behind.",
               ["proscore_dropped_samples_total \(droppedSamples)"])
        metric("proscore_real_time_factor", "histogram", "Compute seconds per audio second, per ended session.",
               realTimeFactor.lines("proscore_real_time_factor"))
        metric("proscore_emit_latency_seconds", "histogram", "From a chunk's last sample arriving to its estimate being emitted.",
               emitLatency.lines("proscore_emit_latency_seconds"))
        return out.joined(separator: "\n") + "\n"
    }
}

private func format(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
}
