import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline
import ProscoreTensor

/// Comma-separated integers, e.g. `320,640,1000`.
struct IntegerList: ExpressibleByArgument {
    let values: [Int]
    init?(argument: String) {
        let v = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        values = v.map { $0! }
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

enum ReuseChoice: String, ExpressibleByArgument, CaseIterable {
    case off, on, both
    var options: [Bool] { self == .both ? [false, true] : [self == .on] }
}

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Sweep streaming settings on recordings: latency, speed and fidelity to the offline encoder.",
        discussion: """
            Every setting streams each recording in 20 ms pieces as if it arrived in real time. \
            The chosen setting (best last-layer fidelity whose p95 emit latency fits --max-latency-ms \
            and that keeps up with real time) is written as a preset with --write.
            """)

    @Argument(help: "Recordings to measure on.") var audio: [String]
    @Option(help: "Checkpoint directory.") var model: String
    @Option(help: "Chunk sizes in ms.") var chunkMs = IntegerList(argument: "320,640,1000")!
    @Option(help: "Left context sizes in ms.") var leftMs = IntegerList(argument: "640,1280,2560")!
    @Option(help: "Lookahead sizes in ms.") var lookaheadMs = IntegerList(argument: "0,160,320")!
    @Option(help: "Reuse cached left-context states: off, on or both.") var reuse: ReuseChoice = .both
    @Option(help: "Latency budget for the choice: p95 emit latency in ms.") var maxLatencyMs: Double = 1_000
    @Option(help: "Write the chosen setting as a preset to this file (e.g. configs/tuned.json).") var write: String?
    @Option(help: "Name of the written preset.") var name: String = "tuned"
    @Flag(help: "Replace the --write file if it exists.") var overwrite = false
    @Flag(help: "Print one JSON line per setting instead of the table.") var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard !audio.isEmpty else { throw ValidationError("Give at least one recording.") }
        guard chunkMs.values.allSatisfy({ $0 >= 20 }) else { throw ValidationError("--chunk-ms values must be at least 20.") }
        for (option, list) in [("--chunk-ms", chunkMs), ("--left-ms", leftMs), ("--lookahead-ms", lookaheadMs)] {
            if let odd = list.values.first(where: { $0 % StreamingSettings.frameMilliseconds != 0 }) {
                let frames = (Double(odd) / Double(StreamingSettings.frameMilliseconds)).rounded()
                throw ValidationError("\(option) \(odd): settings are whole \(StreamingSettings.frameMilliseconds) ms frames; \(odd) would run as \(Int(frames) * StreamingSettings.frameMilliseconds) ms, so give that.")
            }
        }
    }

    func run() throws {
        let target = try write.map { try OutputFile.check($0, overwrite: overwrite, option: "--write") }
        compute.apply()
        let precision = compute.resolved()
        let loaded = try AudioEncoderLoader.load(path: Installation.resolve(model), precision: precision)
        let encoder = loaded.encoder
        let vocabulary = loaded.directory.has("vocab.json") ? try CTCVocabulary(path: loaded.directory.file("vocab.json")) : nil
        let recordings = try audio.map { try AudioLoading.load16kMono(path: $0) }
        if precision == .int8 { try reportInt8Fidelity(encoder: encoder, vocabulary: vocabulary, recordings: recordings) }
        var candidates: [(settings: StreamingSettings, measured: StreamingPreset.Measured)] = []
        if !json {
            print("setting                                               algo   step p50/p95   emit p50/p95     RTF  offline  cos L0  cos mid  cos last  maxdiff last  same text")
        }
        for chunk in chunkMs.values {
            for left in leftMs.values {
                for look in lookaheadMs.values {
                    for r in reuse.options {
                        let settings = StreamingSettings(chunkMs: chunk, leftContextMs: left, lookaheadMs: look, reuseLeftContext: r)
                        let reports = recordings.map {
                            StreamingMeasurement.run(encoder: encoder, settings: settings, samples: $0, vocabulary: vocabulary)
                        }
                        let m = StreamingPreset.Measured(reports: reports, model: model, audio: audio, threads: compute.threads)
                        candidates.append((settings, m))
                        print(json ? try line(settings, m) : row(settings, m))
                    }
                }
            }
        }
        let fitting = candidates.filter { $0.measured.emitLatencyMsP95 <= maxLatencyMs && $0.measured.realTimeFactor < 1 }
        guard let best = fitting.max(by: { a, b in
            let (x, y) = (a.measured.layerMeanCosine.last ?? 0, b.measured.layerMeanCosine.last ?? 0)
            return x != y ? x < y : a.measured.emitLatencyMsP95 > b.measured.emitLatencyMsP95
        }) else {
            throw ValidationError("No setting kept p95 emit latency within \(Int(maxLatencyMs)) ms at real-time speed; raise --max-latency-ms or add --threads.")
        }
        FileHandle.standardError.write(Data("chosen: \(best.settings.summary)\n".utf8))
        if let target {
            var preset = StreamingPreset(name: name, description: "Chosen by proscore tune (best fidelity within \(Int(maxLatencyMs)) ms p95 emit latency).",
                                         settings: best.settings, measured: best.measured)
            preset.pipeline = try pipelineSection(precision: precision)
            try preset.write(path: target)
            FileHandle.standardError.write(Data("wrote \(target)\n".utf8))
        }
    }

    /// What the written preset scores with: the tuned model in the tuned precision, and the
    /// default preset's heads where they belong to that model. Those heads were fitted on the
    /// default preset's windows, which is said: without a model the preset would fall back to
    /// the small model, and without heads to the encoder-independent ones.
    private func pipelineSection(precision: Precision) throws -> StreamingPreset.Pipeline {
        let tuned = Installation.portable(Installation.resolve(model))
        var section = StreamingPreset.Pipeline(model: tuned, precision: precision)
        let base = try StreamingPreset.load(path: Installation.preset(SessionBuilder.defaultPreset))
        if let heads = base.pipeline, let baseModel = heads.model, Installation.portable(Installation.resolve(baseModel)) == tuned {
            section.head = heads.head
            section.readAloudHead = heads.readAloudHead
            FileHandle.standardError.write(Data("""
                note: the preset scores with \(SessionBuilder.defaultPreset)'s heads, fitted on its windows \
                (\(base.settings.summary)); for heads fitted on this setting, extract with --preset and train (README, "Scores").\n
                """.utf8))
        } else {
            FileHandle.standardError.write(Data("note: no heads are fitted for \(model); the preset scores with the encoder-independent heads until you train some (README, \"Scores\").\n".utf8))
        }
        return section
    }

    /// Offline, int8 against fp32: per hidden state, the mean and worst frame cosine and the
    /// largest difference; and how often the greedy transcripts agree.
    private func reportInt8Fidelity(encoder: AudioEncoder, vocabulary: CTCVocabulary?, recordings: [[Float]]) throws {
        let reference = try AudioEncoderLoader.load(path: Installation.resolve(model), precision: .fp32).encoder
        var perRecording: [[LayerFidelity]] = []
        var agree = 0, characters = 0, edits = 0
        for samples in recordings {
            let (q, f) = (encoder(samples), reference(samples))
            perRecording.append(zip(q.hiddenStates, f.hiddenStates).map { LayerFidelity.between($0, $1) })
            if let vocabulary, let ql = q.logits, let fl = f.logits {
                let (a, b) = (vocabulary.greedyTranscript(ql), vocabulary.greedyTranscript(fl))
                if a == b { agree += 1 }
                characters += b.count
                edits += Self.editDistance(Array(a), Array(b))
            }
        }
        let layers = LayerFidelity.summarise(perRecording)
        print("int8 against fp32, offline, \(recordings.count) recording(s):")
        print("  layer  mean cos  min cos   max |diff|")
        for (i, l) in layers.enumerated() {
            print(String(format: "  %5ld  %8.5f  %7.5f  %10.3e", i, l.meanCosine, l.minimumCosine, l.maxAbsDifference))
        }
        if vocabulary != nil {
            print(String(format: "  greedy transcripts identical for %ld of %ld; %.2f%% characters differ", agree, recordings.count,
                         100 * Double(edits) / Double(max(1, characters))))
        }
    }

    /// Levenshtein distance.
    static func editDistance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, y) in b.enumerated() { current[j + 1] = min(previous[j] + (x == y ? 0 : 1), previous[j + 1] + 1, current[j] + 1) }
            previous = current
        }
        return previous[b.count]
    }

    private func row(_ s: StreamingSettings, _ m: StreamingPreset.Measured) -> String {
        let cos = m.layerMeanCosine
        let agreement = m.transcriptAgreement.map { String(format: "%.0f%%", 100 * $0) } ?? "-"
        return s.summary.padding(toLength: 52, withPad: " ", startingAt: 0) + String(
            format: " %5.0f  %6.1f/%6.1f  %6.1f/%6.1f  %6.3f  %6.3f  %6.4f  %7.4f  %8.4f  %12.2e  %9@",
            m.algorithmicLatencyMs, m.stepComputeMsP50, m.stepComputeMsP95, m.emitLatencyMsP50, m.emitLatencyMsP95,
            m.realTimeFactor, m.offlineRealTimeFactor, cos.first ?? 0, cos.isEmpty ? 0 : cos[cos.count / 2], cos.last ?? 0,
            m.layerMaxAbsDifference.last ?? 0, agreement as NSString)
    }

    private func line(_ s: StreamingSettings, _ m: StreamingPreset.Measured) throws -> String {
        let preset = StreamingPreset(name: s.summary, description: "", settings: s, measured: m)
        return String(decoding: try JSONEncoder().encode(preset), as: UTF8.self)
    }
}
