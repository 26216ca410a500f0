import ArgumentParser
import Foundation
import ProscoreCheckpoint
import ProscoreModels

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Describe a checkpoint directory: family, variant, sizes, parameters.")

    @Argument(help: "A Hugging Face checkpoint directory (config.json + model.safetensors).")
    var modelDirectory: String

    func run() throws {
        let directory = try CheckpointDirectory(path: modelDirectory)
        switch directory.config {
        case let .bert(c):
            let file = try directory.openWeights()
            print("model       \(modelDirectory)")
            print("family      bert")
            print("layers      \(c.numHiddenLayers) × hidden \(c.hiddenSize), \(c.numAttentionHeads) heads, FFN \(c.intermediateSize)")
            print("vocabulary  \(c.vocabSize) tokens, \(c.maxPositionEmbeddings) positions")
            print("tensors     \(file.entries.count), \(file.entries.values.reduce(0) { $0 + $1.count }.formatted()) parameters")
        case let .audioEncoder(c):
            let loaded = try AudioEncoderLoader.load(path: modelDirectory)
            let e = loaded.encoder
            print("model        \(modelDirectory)")
            print("family       \(c.modelType.rawValue)")
            print("variant      conv norm: \(c.featExtractNorm), transformer: \(c.doStableLayerNorm ? "pre-norm (stable layer norm)" : "post-norm")\(c.convBias ? ", conv bias" : "")")
            print("conv stack   \(c.convDim.count) layers, channels \(c.convDim.map(String.init).joined(separator: ",")), \(e.samplesPerFrame) samples/frame (\(1000 * e.samplesPerFrame / e.sampleRate) ms), receptive field \(c.receptiveFieldSamples) samples")
            print("transformer  \(c.numHiddenLayers) layers × hidden \(c.hiddenSize), \(c.numAttentionHeads) heads, FFN \(c.intermediateSize), \(c.hiddenAct)")
            let pos = e.positionalEmbedding
            print("positions    \(pos.layers.count) conv layer(s), kernel \(pos.layers[0].conv.kernelSize), \(c.numConvPosEmbeddingGroups) groups, ±\(pos.contextFrames) frames")
            print("CTC head     \(e.ctcHead.map { "\($0.outFeatures) tokens" } ?? "none")")
            print("input        \(e.sampleRate) Hz, do_normalize \(e.preprocessor.doNormalize)")
            print("outputs      \(c.numHiddenLayers + 1) hidden states (input of layer 1, then each layer's output)")
            print("parameters   \(e.parameterCount.formatted())")
            if !loaded.unusedTensors.isEmpty {
                print("unused       \(loaded.unusedTensors.count) tensor(s) not used for inference: \(loaded.unusedTensors.prefix(8).joined(separator: ", "))\(loaded.unusedTensors.count > 8 ? ", …" : "")")
            }
        }
    }
}
