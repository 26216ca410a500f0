import Foundation
import ProscoreCheckpoint
import ProscoreTensor
import Testing
@testable import ProscoreModels

/// Fixtures made by tools/make_fixtures.py with transformers: tiny random checkpoints of
/// every family and variant, their input audio and every expected hidden state.
enum Fixtures {
    static let encoders = Bundle.module.resourcePath! + "/Fixtures/encoders"

    static var encoderNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: encoders)) ?? [])
            .filter { FileManager.default.fileExists(atPath: encoders + "/" + $0 + "/config.json") }
            .sorted()
    }

    static func expected(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: "\(encoders)/\(name)/expected.safetensors")
    }
}

/// Largest difference, relative where the reference is large: |a − b| / max(1, |b|).
func parityError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a.scalars[i] - b.scalars[i]) / max(1, abs(b.scalars[i]))) }
    return worst
}

@Suite("Wav2Vec2-family encoders match transformers")
struct EncoderParityTests {
    @Test("the fixtures cover every family and variant")
    func coverage() {
        let names = Fixtures.encoderNames
        #expect(names.count >= 6)
        for family in ["wav2vec2", "hubert", "data2vec-audio"] { #expect(names.contains { $0.hasPrefix(family) }) }
    }

    @Test("every hidden state, the conv features and the CTC logits are within 1e-4", arguments: Fixtures.encoderNames)
    func parity(_ name: String) throws {
        let loaded = try AudioEncoderLoader.load(path: "\(Fixtures.encoders)/\(name)")
        let encoder = loaded.encoder
        let expected = try Fixtures.expected(name)
        let audio = try expected.tensor("audio").scalars

        let normalized = Tensor(shape: [audio.count], scalars: encoder.normalizedInput(audio))
        #expect(parityError(normalized, try expected.tensor("input_values")) < 1e-5)

        let output = encoder(audio)
        #expect(parityError(output.extractFeatures, try expected.tensor("extract_features")) < 1e-4)
        let hidden = try expected.tensor("hidden_states")
        #expect(output.hiddenStates.count == hidden.shape[0])
        for (i, state) in output.hiddenStates.enumerated() {
            let error = parityError(state, hidden[i])
            #expect(error < 1e-4, "hidden state \(i) of \(name): \(error)")
        }
        if expected.entries["last_hidden_state"] != nil {
            #expect(parityError(output.lastHiddenState, try expected.tensor("last_hidden_state")) < 1e-4)
        }
        if expected.entries["logits"] != nil {
            let logits = try #require(output.logits, "\(name) should have a CTC head")
            #expect(parityError(logits, try expected.tensor("logits")) < 1e-4)
        } else {
            #expect(output.logits == nil)
        }
    }

    @Test("under int8 every hidden state keeps a per-frame cosine of at least 0.99 to transformers' output",
          .enabled(if: Int8Matrix.isSupported, "the CPU lacks AVX-512 VNNI"), arguments: Fixtures.encoderNames)
    func int8Parity(_ name: String) throws {
        let encoder = try AudioEncoderLoader.load(path: "\(Fixtures.encoders)/\(name)", precision: .int8).encoder
        #expect(encoder.layers.first?.attention.output.precision == .int8)
        let expected = try Fixtures.expected(name)
        let output = encoder(try expected.tensor("audio").scalars)
        let hidden = try expected.tensor("hidden_states")
        for (i, state) in output.hiddenStates.enumerated() {
            let reference = hidden[i]
            let d = state.shape[1]
            var worst: Float = 1
            for f in 0..<state.shape[0] {
                let a = state.scalars[(f * d)..<((f + 1) * d)], b = reference.scalars[(f * d)..<((f + 1) * d)]
                let dot = zip(a, b).map(*).reduce(0, +)
                let norms = (a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot()
                worst = min(worst, norms > 0 ? dot / norms : 1)
            }
            #expect(worst >= 0.99, "hidden state \(i) of \(name): worst frame cosine \(worst)")
        }
    }

    @Test("results are the same on two threads")
    func twoThreads() throws {
        let name = try #require(Fixtures.encoderNames.first)
        let encoder = try AudioEncoderLoader.load(path: "\(Fixtures.encoders)/\(name)").encoder
        let audio = try Fixtures.expected(name).tensor("audio").scalars
        let one = encoder(audio)
        Compute.threadCount = 2
        defer { Compute.threadCount = 1 }
        let two = encoder(audio)
        #expect(parityError(one.hiddenStates.last!, two.hiddenStates.last!) < 1e-5)
    }
}

@Suite("loading audio encoder checkpoints")
struct EncoderLoadingTests {
    /// A copy of a fixture checkpoint that a test may change.
    func copy(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "proscore-model-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: "\(Fixtures.encoders)/\(name)", toPath: dir)
        return dir
    }

    @Test("tensors the encoder does not use are reported, not silently dropped")
    func unused() throws {
        let name = try #require(Fixtures.encoderNames.first { $0.hasPrefix("wav2vec2") })
        let loaded = try AudioEncoderLoader.load(path: "\(Fixtures.encoders)/\(name)")
        #expect(loaded.unusedTensors.allSatisfy { $0.contains("masked_spec_embed") })
    }

    @Test("a config that does not match the weights names the tensor and both shapes")
    func mismatch() throws {
        let dir = try copy(try #require(Fixtures.encoderNames.first))
        let configPath = dir + "/config.json"
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as! [String: Any]
        config["intermediate_size"] = 4 * (config["intermediate_size"] as! Int)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: configPath))
        #expect {
            _ = try AudioEncoderLoader.load(path: dir)
        } throws: { error in
            guard case let .wrongShape(path, tensor, _, _) = error as? CheckpointError else { return false }
            return path.hasSuffix("model.safetensors") && tensor.contains("intermediate_dense")
        }
    }

    @Test("weights of another model (a BERT file) are a clear missing-tensor error")
    func wrongWeights() throws {
        let dir = try copy(try #require(Fixtures.encoderNames.first))
        try SafeTensorsWriter.write([("embeddings.word_embeddings.weight", Tensor(zeros: [4, 4]))], to: dir + "/model.safetensors")
        #expect {
            _ = try AudioEncoderLoader.load(path: dir)
        } throws: { error in
            guard case let .missingTensor(_, tensor) = error as? CheckpointError else { return false }
            return tensor.contains("feature_extractor.conv_layers.0.conv.weight")
        }
    }

    @Test("a truncated model.safetensors is a clear error")
    func truncatedWeights() throws {
        let dir = try copy(try #require(Fixtures.encoderNames.first))
        let path = dir + "/model.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try AudioEncoderLoader.load(path: dir)
        } throws: { error in
            if case .truncated = error as? CheckpointError { return true } else { return false }
        }
    }

    @Test("a random-weight model of wav2vec2-base's shape builds with the real parameter count")
    func baseShape() throws {
        let encoder = try AudioEncoderLoader.build(
            config: .base, preprocessor: PreprocessorConfig(),
            from: RandomTensorSource(seed: 3) { !$0.hasPrefix("lm_head") && !$0.contains("weight_g") && !$0.contains("original0") })
        // transformers' Wav2Vec2Model(Wav2Vec2Config()) has 94,371,712 parameters, of which
        // masked_spec_embed (768) is for training and the weight-norm g (128) is folded here.
        #expect(encoder.parameterCount == 94_371_712 - 768 - 128)
        #expect(encoder.ctcHead == nil)
    }
}
