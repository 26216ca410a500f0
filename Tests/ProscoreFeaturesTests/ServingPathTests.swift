import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreFakes
import ProscoreModels
import ProscorePipeline
import ProscoreScoring
import Testing
@testable import ProscoreFeatures

/// espeak-ng speech written to a WAV file.
func spoken(_ text: String, rate: Int = 150) throws -> String {
    try SynthesisedSpeech.espeak(text, rate: rate, to: folder() + "/speech.wav")
}

@Suite("one feature path from training to serving", .serialized)
struct ServingPathTests {
    @Test("what extract stores for training equals what serving gives the head for the same file (≤ 1e-6)", arguments: [false, true])
    func trainingEqualsServing(readAloud: Bool) throws {
        let text = "Every morning I read the news and then I walk to work"
        let audio = try spoken(text)
        var request = SessionRequest()
        // A layer-norm conv stack streams exactly whatever the piece sizes (DESIGN: streaming).
        request.model = repositoryRoot.appendingPathComponent("Tests/ProscoreModelsTests/Fixtures/encoders/wav2vec2-layer-postnorm-ctc").path
        request.preset = repositoryRoot.appendingPathComponent("configs/balanced.json").path
        request.head = "none"
        request.textModel = "none"
        let settings = try SessionBuilder.settings(for: request)
        let models = try SessionBuilder.loadModels(for: settings)

        let out = folder()
        let extractor = ServingFeatureExtractor(scorer: BatchScorer(models: models, settings: settings, capture: true), readAloud: readAloud)
        let entry = ManifestEntry(id: "utt", audio: audio, speaker: "s", text: text, labels: ["total": 7])
        let result = try extractor.run([entry], into: out)
        #expect(result.written == 1, "\(result)")
        let stored = try #require(ServingFeatureExtractor.readIndex(out + "/index.jsonl").first)
        let pooled = try SafeTensorsFile(path: out + "/" + stored.file!).tensor("pooled")

        // Serving: the replay path with a head that reads every layer and every feature.
        let layers = Array(0...models.encoder.config.numHiddenLayers)
        let head = FixedScorer(layers: layers, extraFeatures: WindowFeatures.readAloudNames)
        var serving = settings
        serving.reference = readAloud ? text : nil
        let pipeline = SessionBuilder.pipeline(settings: serving, models: models, recorder: nil, scorer: head)
        try pipeline.run(source: try RecordingSource(path: audio, speed: .asFastAsConsumed)) { _ in }

        #expect(pooled.shape == [layers.count, models.encoder.config.hiddenSize])
        let served = head.lastPooled.flatMap { $0 }
        #expect(zip(pooled.scalars, served).allSatisfy { abs($0 - $1) <= 1e-6 })
        let trained = try #require(stored.windowFeatures)
        for name in WindowFeatures.readAloudNames {
            #expect(abs((trained[name] ?? .nan) - (head.lastExtras[name] ?? .nan)) <= 1e-6, "\(name): \(trained[name] ?? .nan) vs \(head.lastExtras[name] ?? .nan)")
        }
        // Read-aloud evidence exists only with a reference (the free-speech path stores zeros for it).
        #expect((trained["mean_word_gop"] ?? 0) != 0 || !readAloud)
        #expect(trained["mean_word_gop"] == 0 || readAloud)
    }
}

@Suite("serving-path feature folders read back")
struct ServingDatasetTests {
    @Test("a folder whose rows lack a window feature the head reads is refused, naming it, instead of read as 0")
    func missingFeature() throws {
        let dir = folder()
        let row = #"{"id":"u1","file":"features/u1.safetensors","speaker":"s","labels":{"total":7},"duration_s":2,"transcript":"A","window_features":{"completeness":1},"baseline":{"speech_s":1}}"#
        try (row + "\n").write(toFile: dir + "/index.jsonl", atomically: true, encoding: .utf8)
        let read = try ServingDataset.load(folder: dir, names: ["completeness"], layers: false)
        #expect(read.examples.map(\.extras) == [[1]])
        #expect {
            try ServingDataset.load(folder: dir, names: ["completeness", "aligned_gap_per_token"], layers: false)
        } throws: { error in
            "\(error)".contains("u1 has no aligned_gap_per_token") && "\(error)".contains("extract again")
        }
    }
}
