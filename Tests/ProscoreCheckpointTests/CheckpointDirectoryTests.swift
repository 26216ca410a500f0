import Foundation
import ProscoreTensor
import Testing
@testable import ProscoreCheckpoint

@Suite("checkpoint directories and config.json")
struct CheckpointDirectoryTests {
    func directory(config: String, weights: Bool = true) throws -> String {
        let dir = temporaryDirectory()
        try config.write(toFile: dir + "/config.json", atomically: true, encoding: .utf8)
        if weights { try SafeTensorsWriter.write([("x", Tensor(zeros: [1]))], to: dir + "/model.safetensors") }
        return dir
    }

    @Test("wav2vec2, hubert and data2vec-audio configs decode with Hugging Face's defaults")
    func audioFamilies() throws {
        for (type, norm, bias) in [("wav2vec2", "group", false), ("hubert", "group", false), ("data2vec-audio", "layer", true)] {
            let dir = try directory(config: #"{"model_type": "\#(type)", "hidden_size": 64, "num_attention_heads": 4, "architectures": ["X"]}"#)
            let checkpoint = try CheckpointDirectory(path: dir)
            guard case let .audioEncoder(c) = checkpoint.config else { Issue.record("not an audio encoder"); continue }
            #expect(c.modelType.rawValue == type)
            #expect(c.hiddenSize == 64 && c.numHiddenLayers == 12 && c.intermediateSize == 3072)
            #expect(c.featExtractNorm == norm && c.convBias == bias)
            #expect(c.samplesPerFrame == 320 && c.receptiveFieldSamples == 400)
            #expect(try checkpoint.preprocessorConfig() == PreprocessorConfig())
        }
    }

    @Test("a BERT config decodes")
    func bert() throws {
        let dir = try directory(config: #"{"model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6, "vocab_size": 30522}"#)
        guard case let .bert(c) = try CheckpointDirectory(path: dir).config else { Issue.record("not bert"); return }
        #expect(c.hiddenSize == 384 && c.numHiddenLayers == 6 && c.maxPositionEmbeddings == 512 && c.layerNormEps == 1e-12)
    }

    @Test("preprocessor_config.json is honoured")
    func preprocessor() throws {
        let dir = try directory(config: #"{"model_type": "hubert"}"#)
        try #"{"do_normalize": false, "sampling_rate": 16000, "feature_size": 1, "padding_value": 0.0}"#
            .write(toFile: dir + "/preprocessor_config.json", atomically: true, encoding: .utf8)
        #expect(try CheckpointDirectory(path: dir).preprocessorConfig().doNormalize == false)
    }

    @Test("an unknown model_type is named in the error")
    func unknownType() throws {
        let dir = try directory(config: #"{"model_type": "whisper"}"#)
        #expect(throws: CheckpointError.unknownModelType(path: dir + "/config.json", modelType: "whisper")) {
            _ = try CheckpointDirectory(path: dir)
        }
    }

    @Test("nonsense in config.json is a clear error naming the key")
    func badValues() throws {
        let dir = try directory(config: #"{"model_type": "wav2vec2", "hidden_size": "big"}"#)
        #expect {
            _ = try CheckpointDirectory(path: dir)
        } throws: { error in
            guard case let .badConfig(_, detail) = error as? CheckpointError else { return false }
            return detail.contains("hidden_size")
        }
        let dir2 = try directory(config: #"{"model_type": "wav2vec2", "conv_dim": [512, 512], "conv_stride": [5]}"#)
        #expect(throws: CheckpointError.self) { _ = try CheckpointDirectory(path: dir2) }
    }

    @Test("missing model.safetensors points at the converter when pytorch_model.bin is there")
    func missingWeights() throws {
        let dir = try directory(config: #"{"model_type": "wav2vec2"}"#, weights: false)
        _ = FileManager.default.createFile(atPath: dir + "/pytorch_model.bin", contents: Data([0]))
        #expect {
            _ = try CheckpointDirectory(path: dir)
        } throws: { error in
            guard case let .missingFile(_, hint) = error as? CheckpointError else { return false }
            return hint.contains("convert_checkpoint.py")
        }
    }

    @Test("a directory without config.json, or no directory at all, is a clear error")
    func missingDirectory() {
        #expect(throws: CheckpointError.self) { _ = try CheckpointDirectory(path: "/nonexistent/model") }
        #expect(throws: CheckpointError.self) { _ = try CheckpointDirectory(path: temporaryDirectory()) }
    }
}
