import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor

/// Which hidden states to keep: `all` or a comma-separated list of indices
/// (0 = embedding output, i = output of layer i).
enum LayerSelection: ExpressibleByArgument, Equatable {
    case all
    case indices([Int])

    init?(argument: String) {
        if argument == "all" { self = .all; return }
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        // Each hidden state once, in the model's order: the stored tensor's rows follow layer_indices.
        self = .indices(Array(Set(parts.map { $0! })).sorted())
    }

    func resolve(available: Int) throws -> [Int] {
        switch self {
        case .all: return Array(0..<available)
        case let .indices(i):
            if let bad = i.first(where: { $0 >= available }) {
                throw ValidationError("layer \(bad) does not exist: this model has hidden states 0…\(available - 1).")
            }
            return i
        }
    }
}

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Run the encoder over a recording and save its hidden states.",
        discussion: """
            Writes a safetensors file with `hidden_states` [layers, frames, dim], \
            `frame_start_seconds` and `frame_end_seconds` [frames], `layer_indices` [layers] \
            and, for CTC checkpoints, `logits` [frames, vocab].
            """)

    @Argument(help: "Checkpoint directory.") var modelDirectory: String
    @Argument(help: "Audio file (any rate and channel count libsndfile reads).") var audio: String
    @Option(help: "Hidden states to keep: all, or indices like 0,6,12 (0 = embedding output).")
    var layers: LayerSelection = .all
    @Option(help: "Output safetensors file.") var out: String = "features.safetensors"
    @Flag(help: "Store hidden states and logits as float16 (frame times stay float32).") var float16 = false
    @Flag(help: "Replace --out if it exists.") var overwrite = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        let target = try OutputFile.check(out, overwrite: overwrite)
        compute.apply()
        let loaded = try AudioEncoderLoader.load(path: Installation.resolve(modelDirectory), precision: compute.resolved())
        let encoder = loaded.encoder
        let samples = try AudioLoading.load16kMono(path: audio)
        guard samples.count >= encoder.config.receptiveFieldSamples else {
            throw ValidationError("\(audio) is \(samples.count) samples at 16 kHz; the encoder needs at least \(encoder.config.receptiveFieldSamples) (one frame).")
        }
        let start = Date()
        let output = encoder(samples)
        let seconds = Date().timeIntervalSince(start)
        let keep = try layers.resolve(available: output.hiddenStates.count)
        let frames = output.frames
        let hop = Double(encoder.samplesPerFrame) / Double(encoder.sampleRate)
        let field = Double(encoder.config.receptiveFieldSamples) / Double(encoder.sampleRate)
        var tensors: [(name: String, tensor: Tensor)] = [
            ("hidden_states", Tensor.stack(keep.map { output.hiddenStates[$0] })),
            ("frame_start_seconds", Tensor(shape: [frames], scalars: (0..<frames).map { Float(Double($0) * hop) })),
            ("frame_end_seconds", Tensor(shape: [frames], scalars: (0..<frames).map { Float(Double($0) * hop + field) })),
            ("layer_indices", Tensor(shape: [keep.count], scalars: keep.map(Float.init))),
        ]
        if let logits = output.logits { tensors.append(("logits", logits)) }
        try SafeTensorsWriter.write(
            tensors, to: target, storage: float16 ? .f16 : .f32, exact: ["frame_start_seconds", "frame_end_seconds", "layer_indices"],
            metadata: ["model": modelDirectory, "audio": audio, "layers": keep.map(String.init).joined(separator: ","),
                       "sample_rate": "\(encoder.sampleRate)", "samples_per_frame": "\(encoder.samplesPerFrame)"])
        let audioSeconds = Double(samples.count) / Double(encoder.sampleRate)
        FileHandle.standardError.write(Data(String(
            format: "%@: %.2f s of audio → %ld frames × %ld layers × %ld dims in %.2f s (RTF %.3f)\n",
            out, audioSeconds, frames, keep.count, encoder.config.hiddenSize, seconds, seconds / audioSeconds).utf8))
    }
}
