import Foundation
import Prometheus

/// The server's counters, gauges and histograms, kept in a swift-prometheus registry and
/// written in Prometheus's text format at `/metrics`.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let active: Gauge
    private let limit: Gauge
    private let started: Counter
    private let audioSeconds: Counter
    private let dropped: Counter
    private let realTimeFactor: ValueHistogram
    private let emitLatency: DurationHistogram

    /// `proscore_NAME_UNIT`, with its help line.
    private static func name(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "proscore", metricName: name, unitName: unit, helpText: help)
    }

    init() {
        active = registry.makeGauge(descriptor: Self.name("active", "sessions", "Sessions being scored now (streams and batch requests)."))
        limit = registry.makeGauge(descriptor: Self.name("max", "sessions", "Sessions the server scores at once (--max-sessions)."))
        started = registry.makeCounter(descriptor: Self.name("sessions_started", "total", "Sessions started."))
        audioSeconds = registry.makeCounter(descriptor: Self.name("audio_seconds", "total", "Seconds of audio scored by ended sessions."))
        dropped = registry.makeCounter(descriptor: Self.name("dropped_samples", "total", "16 kHz samples lost because the pipeline fell behind."))
        realTimeFactor = registry.makeValueHistogram(
            descriptor: Self.name("real_time", "factor", "Compute seconds per audio second, per ended session."),
            buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2])
        emitLatency = registry.makeDurationHistogram(
            descriptor: Self.name("emit_latency", "seconds", "From a chunk's last sample arriving to its estimate being emitted."),
            buckets: [50, 100, 250, 500, 750, 1000, 1500, 2500, 5000].map { Duration.milliseconds($0) })
        // Present from the start, so that a scrape before any refusal sees the series at 0.
        _ = rejectedCounter("full")
    }

    func sessionStarted() { started.increment() }

    /// A session (stream or batch file) refused; `reason` is a label value (full, …).
    func rejectedSession(_ reason: String) { rejectedCounter(reason).increment() }

    private func rejectedCounter(_ reason: String) -> Counter {
        // The registry hands back the same counter for the same name and labels.
        registry.makeCounter(descriptor: Self.name("rejected_sessions", "total", "Sessions refused, by reason."), labels: [("reason", reason)])
    }

    func estimateEmitted(latencyMs: Double) { emitLatency.record(.microseconds(Int64(latencyMs * 1000))) }

    func sessionEnded(audioSeconds seconds: Double, realTimeFactor rtf: Double, droppedSamples count: Int) {
        audioSeconds.increment(by: seconds)
        dropped.increment(by: Int64(count))
        if seconds > 0 { realTimeFactor.record(rtf) }
    }

    /// Everything as Prometheus text; `activeSessions` and `maxSessions` are read at the call.
    func exposition(activeSessions: Int, maxSessions: Int) -> String {
        active.set(to: Double(activeSessions))
        limit.set(to: Double(maxSessions))
        return registry.emitToString()
    }
}
