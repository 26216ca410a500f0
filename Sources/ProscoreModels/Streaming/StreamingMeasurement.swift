import Dispatch
import ProscoreTensor
import ProscoreUnits

/// Latency and speed of a streaming run, with its fidelity to the offline encoder.
public struct StreamingReport: Sendable {
    public let settings: StreamingSettings
    public let audioSeconds: Double
    /// chunk + lookahead, in milliseconds.
    public var algorithmicLatencyMs: Double { Double(settings.algorithmicLatencyMs) }
    /// Wall time of the transformer steps (one per chunk), in milliseconds.
    public let stepComputeMs: Percentiles
    /// From the arrival of a chunk's last sample to its frames being emitted, in
    /// milliseconds, with audio arriving in real time (20 ms pieces) and one worker.
    public let emitLatencyMs: Percentiles
    /// All compute (conv stack, projection, steps) per second of audio.
    public let realTimeFactor: Double
    /// Offline pass over the same audio, seconds per second of audio.
    public let offlineRealTimeFactor: Double
    public let fidelity: StreamingFidelity
}

/// p50 and p95 of a sample.
public struct Percentiles: Sendable, Equatable {
    public let p50: Double
    public let p95: Double

    public init(_ values: [Double]) {
        let s = values.sorted()
        func at(_ q: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int((q * Double(s.count - 1)).rounded()))] }
        p50 = at(0.5)
        p95 = at(0.95)
    }
}

public enum StreamingMeasurement {
    public static let pieceSamples = FrameGeometry.samplesPerFrame

    /// Streams `samples` (16 kHz) through a fresh `StreamingEncoder` in 20 ms pieces as if
    /// they arrived in real time, timing every call, and compares with an offline pass.
    ///
    /// The clock is simulated from measured compute: piece k is available at (k + 1) · 20 ms,
    /// the single worker starts it when it is both available and free, and a chunk is
    /// emitted when the call that produced it returns. So emit latency includes the wait
    /// for lookahead audio, queueing behind earlier work, and compute.
    public static func run(encoder: AudioEncoder, settings: StreamingSettings, samples: [Float],
                           vocabulary: CTCVocabulary? = nil, clock: StageClock? = nil) -> StreamingReport {
        let stream = StreamingEncoder(encoder: encoder, settings: settings)
        stream.clock = clock
        let hop = Double(encoder.samplesPerFrame), rate = Double(encoder.sampleRate)
        let field = Double(encoder.config.receptiveFieldSamples)
        var chunks: [StreamingChunk] = []
        var emitLatency: [Double] = []
        var workerFree = 0.0
        var totalCompute = 0.0
        var offset = 0
        func account(_ produced: [StreamingChunk], available: Double, seconds: Double) {
            let startTime = max(available, workerFree)
            workerFree = startTime + seconds
            totalCompute += seconds
            for chunk in produced {
                let lastFrame = Double(chunk.firstFrame + chunk.frameCount - 1)
                let lastSampleArrival = min(Double(samples.count), lastFrame * hop + field) / rate
                emitLatency.append(max(0, workerFree - lastSampleArrival) * 1000)
            }
            chunks += produced
        }
        while offset < samples.count {
            let n = min(pieceSamples, samples.count - offset)
            let piece = Array(samples[offset..<(offset + n)])
            offset += n
            let start = DispatchTime.now().uptimeNanoseconds
            let produced = stream.feed(piece)
            account(produced, available: Double(offset) / rate,
                    seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let tail = stream.finish()
        account(tail, available: Double(samples.count) / rate, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)

        let offlineStart = DispatchTime.now().uptimeNanoseconds
        let offline = encoder(samples)
        let offlineSeconds = Double(DispatchTime.now().uptimeNanoseconds - offlineStart) / 1e9
        let audioSeconds = Double(samples.count) / rate
        return StreamingReport(
            settings: settings, audioSeconds: audioSeconds,
            stepComputeMs: Percentiles(chunks.map { $0.computeSeconds * 1000 }),
            emitLatencyMs: Percentiles(emitLatency),
            realTimeFactor: totalCompute / audioSeconds,
            offlineRealTimeFactor: offlineSeconds / audioSeconds,
            fidelity: StreamingFidelity(chunks: chunks, offline: offline, vocabulary: vocabulary))
    }
}
