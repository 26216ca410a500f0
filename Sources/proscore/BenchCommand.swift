import ArgumentParser
import Foundation
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import ProscoreUnits

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure speed (see tools/bench_peers.py for PyTorch and ONNX Runtime side by side).",
        subcommands: [EncoderBench.self, StreamingBench.self, ServeLoadBench.self])
}

/// Real-time factor of the offline encoder at wav2vec2-base's shape with random weights.
struct EncoderBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Encode seconds of audio with a random-weight wav2vec2-base-shaped model; report the real-time factor.")

    @Option(help: "Seconds of audio to encode.") var seconds: Double = 10
    @Option(help: "Thread counts to measure, comma-separated.") var threads: String = "1,2"
    @Option(help: "Timed runs per thread count (after one warm-up run); the median is reported.") var repeats: Int = 3
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Also print where the time goes, stage by stage (from the last run).") var profile = false
    @Option(help: "Model shape: base or large.") var shape: BenchShape = .base
    @Option(help: "fp32 or int8.") var precision: Precision = .fp32

    func validate() throws {
        guard seconds >= 0.1, seconds <= 600 else { throw ValidationError("--seconds must be between 0.1 and 600.") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
        guard threadCounts != nil else { throw ValidationError("--threads takes positive integers like 1,2.") }
    }

    var threadCounts: [Int]? {
        let t = threads.split(separator: ",").map { Int($0) }
        return t.isEmpty || t.contains(where: { $0 == nil || $0! < 1 }) ? nil : t.map { $0! }
    }

    func run() throws {
        let (ran, notice) = precision.available
        if let notice { FileHandle.standardError.write(Data("notice: \(notice)\n".utf8)) }
        let encoder = try BenchModel.encoder(shape, precision: ran)
        let audio = BenchModel.audio(seconds: seconds)
        var results: [[String: Any]] = []
        for t in threadCounts! {
            Compute.threadCount = t
            _ = encoder(audio)
            var times: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = encoder(audio)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            if profile {
                let clock = StageClock()
                _ = encoder(audio, clock: clock)
                printProfile(clock, threads: t)
            }
            let sorted = times.sorted()
            let median = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
            results.append(["threads": t, "median_seconds": median, "min_seconds": times.min()!, "rtf": median / seconds,
                            "runs": repeats, "all_seconds": times])
            if !json {
                print(String(format: "threads %ld: %.3f s for %.1f s of audio, RTF %.4f (median of %ld)",
                             t, median, seconds, median / seconds, repeats))
            }
        }
        if json {
            let object: [String: Any] = [
                "model": shape.label, "shape": shape.rawValue, "precision": ran.rawValue, "audio_seconds": seconds,
                "parameters": encoder.parameterCount, "blas_core": BLAS.coreName, "gemm": PackedMatrix.engineName, "results": results,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("model: \(shape.label), \(encoder.parameterCount.formatted()) parameters, \(ran.rawValue)"
                  + (ran == .int8 ? " (transformer and projection through the VNNI kernel; convs through \(PackedMatrix.engineName))" : ", weights through \(PackedMatrix.engineName)")
                  + ", OpenBLAS core \(BLAS.coreName)")
        }
    }

    private func printProfile(_ clock: StageClock, threads: Int) {
        let total = clock.stages.reduce(0) { $0 + $1.seconds }
        var lines = ["profile at \(threads) thread(s), \(String(format: "%.3f", total)) s (one run):"]
        // Fold the repeated transformer layers into one line.
        let layerTime = clock.stages.filter { $0.name.hasPrefix("transformer layer") }
        for stage in clock.stages where !stage.name.hasPrefix("transformer layer") {
            lines.append(stage.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + String(format: " %8.1f ms  %5.1f%%", 1000 * stage.seconds, 100 * stage.seconds / total))
        }
        let sum = layerTime.reduce(0) { $0 + $1.seconds }
        lines.append("transformer layers".padding(toLength: 22, withPad: " ", startingAt: 0)
                     + String(format: " %8.1f ms  %5.1f%%  (%ld layers, %.1f ms each)",
                              1000 * sum, 100 * sum / total, layerTime.count, 1000 * sum / Double(max(1, layerTime.count))))
        print(lines.joined(separator: "\n  "))
    }
}

/// The benchmark's model shapes, with seeded random weights.
enum BenchShape: String, ExpressibleByArgument, CaseIterable {
    case base, large
    var config: Wav2Vec2Config { self == .base ? .base : .large }
    var label: String { "wav2vec2-\(rawValue) shape (random weights)" }
}

/// The benchmark's model and audio.
enum BenchModel {
    static func encoder(_ shape: BenchShape = .base, precision: Precision = .fp32) throws -> AudioEncoder {
        let source = RandomTensorSource(seed: 1) { name in
            !name.hasPrefix("lm_head") && !name.contains("weight_g") && !name.contains("original0")
        }
        return try AudioEncoderLoader.build(config: shape.config, preprocessor: PreprocessorConfig(), from: source, precision: precision)
    }

    static func audio(seconds: Double) -> [Float] {
        (0..<FrameGeometry.samples(seconds: seconds)).map { i -> Float in
            let t = Float(i) / Float(FrameGeometry.sampleRate)
            return 0.3 * sin(2 * .pi * 150 * t) * (0.6 + 0.4 * sin(2 * .pi * 4 * t)) + 0.01 * sin(Float(i &* 7919 % 1000))
        }
    }
}

/// Streaming speed and latency at wav2vec2-base's shape under a preset.
struct StreamingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streaming",
        abstract: "Stream seconds of audio through a random-weight wav2vec2-base-shaped model under a preset; report RTF and latencies.")

    @Option(help: "Preset: a name in configs/ (balanced, low-latency, …) or a file.") var preset: String = "configs/balanced.json"
    @Option(help: "Seconds of audio.") var seconds: Double = 10
    @Option(help: "Runs; the one with the median RTF is reported.") var repeats: Int = 3
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(help: "Record the measurement in the preset file's `measured` section.") var record = false
    @Flag(help: "Print the time per stage, summed over a run.") var profile = false
    @Option(help: "Model shape: base or large.") var shape: BenchShape = .base
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        // Under a second the run is a chunk or two: no latency worth reporting (or none at all).
        guard seconds >= 1, seconds <= 600 else { throw ValidationError("--seconds must be between 1 and 600.") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
    }

    func run() throws {
        compute.apply()
        let presetFile = Installation.preset(preset)
        var p = try StreamingPreset.load(path: presetFile)
        let precision = compute.resolved(presetDefault: p.pipeline?.precision)
        let encoder = try BenchModel.encoder(shape, precision: precision)
        let audio = BenchModel.audio(seconds: seconds)
        _ = encoder(audio)  // warm up
        let reports = (0..<max(1, repeats)).map { _ in
            StreamingMeasurement.run(encoder: encoder, settings: p.settings, samples: audio)
        }.sorted { $0.realTimeFactor < $1.realTimeFactor }
        let r = reports[reports.count / 2]
        var m = StreamingPreset.Measured(reports: [r], model: shape.label, audio: ["\(seconds) s synthetic"], threads: compute.threads)
        m.precision = precision.rawValue
        if profile {
            let clock = StageClock()
            _ = StreamingMeasurement.run(encoder: encoder, settings: p.settings, samples: audio, clock: clock)
            let total = clock.stages.reduce(0) { $0 + $1.seconds }
            let layers = clock.stages.filter { $0.name.hasPrefix("transformer layer") }.reduce(0) { $0 + $1.seconds }
            for stage in clock.stages where !stage.name.hasPrefix("transformer layer") {
                print(stage.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %8.1f ms", 1000 * stage.seconds))
            }
            print("transformer layers".padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %8.1f ms  (total %.1f ms)", 1000 * layers, 1000 * total))
        }
        if record {
            p.measured = m
            try p.write(path: presetFile)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(m), as: UTF8.self))
        } else {
            print("preset \(p.name) (\(p.settings.summary)) at \(compute.threads) thread(s), \(shape.label), \(seconds) s, \(precision.rawValue)"
                  + (precision == .int8 ? " (VNNI kernel)" : ", \(PackedMatrix.engineName)") + ":")
            print(String(format: "  streaming RTF %.3f (offline %.3f); step compute p50 %.0f ms, p95 %.0f ms; emit latency p50 %.0f ms, p95 %.0f ms (lookahead %ld ms)",
                         r.realTimeFactor, r.offlineRealTimeFactor, r.stepComputeMs.p50, r.stepComputeMs.p95,
                         r.emitLatencyMs.p50, r.emitLatencyMs.p95, p.streaming.lookaheadMs))
        }
    }
}
