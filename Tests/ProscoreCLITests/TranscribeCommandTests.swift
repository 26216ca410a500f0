import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("proscore transcribe", .serialized)
struct TranscribeCommandTests {
    @Test("streamed words with times match the offline greedy transcript when the window covers the audio")
    func transcribe() throws {
        // A layer-norm checkpoint without input normalisation streams its conv stack exactly;
        // a window longer than the audio makes the transformer exact too.
        var dir = URL(fileURLWithPath: fixtureModel)
        dir.deleteLastPathComponent()
        let model = dir.appendingPathComponent("wav2vec2-layer-postnorm-ctc").path
        let expected = try SafeTensorsFile(path: model + "/expected.safetensors")
        let audio = try expected.tensor("audio").scalars
        let path = scratch("fixture.wav")
        try SoundFileWriter.write(audio, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let preset = scratch("whole.json")
        try StreamingPreset(name: "whole", description: "window longer than the audio",
                            settings: StreamingSettings(chunkMs: 400, leftContextMs: 4_000, lookaheadMs: 4_000)).write(path: preset)
        let r = try proscore(["transcribe", model, path, "--preset", preset, "--json", "--endpoint-ms", "5000"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let wordLines = lines.filter { $0["word"] != nil }
        let words = wordLines.map { $0["word"] as! String }
        let offline = try AudioEncoderLoader.load(path: model).encoder(audio)
        let vocabulary = try CTCVocabulary(path: model + "/vocab.json")
        #expect(!words.isEmpty)
        #expect(words.joined(separator: " ") == vocabulary.greedyTranscript(offline.logits!))
        let starts = wordLines.map { $0["start_s"] as! Double }
        #expect(starts == starts.sorted())
        #expect(lines.last?["utterance"] as? String == words.joined(separator: " "))
    }

    @Test("transcribe ends utterances where a replayed session does, on a recording over a noisy background")
    func sameUtterancesAsReplay() throws {
        // Hiss at -37 dBFS: louder than the quiet-room threshold, so only a silence threshold
        // raised over the background (as sessions set it) finds the pauses.
        var seed: UInt64 = 7
        let noisy = try AudioLoading.load16kMono(path: checkout + "/recordings/anna-morning.flac").map { sample -> Float in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return sample + 0.05 * (Float(seed >> 40) / Float(1 << 24) - 0.5)
        }
        let path = scratch("noisy.wav")
        try SoundFileWriter.write(noisy, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let transcribed = try proscore(["transcribe", layerNormModel, path, "--json", "--endpoint-ms", "300"])
        #expect(transcribed.status == 0, "\(transcribed.stderr)")
        let replayed = try proscore(["replay", path, "--model", layerNormModel, "--head", "none", "--text-model", "none",
                                     "--speed", "max", "--json", "--endpoint-ms", "300", "--store", scratch("s.sqlite")])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        func objects(_ text: String) -> [[String: Any]] {
            text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
        let fromTranscribe = objects(transcribed.stdout).compactMap { $0["utterance"] as? String }
        let fromReplay = objects(replayed.stdout).compactMap { ($0["utterance"] as? [String: Any])?["words"] as? [[String: Any]] }
            .map { $0.compactMap { $0["text"] as? String }.joined(separator: " ") }
        #expect(fromTranscribe.count > 1, "\(transcribed.stdout)")
        #expect(fromTranscribe == fromReplay, "\(fromTranscribe) vs \(fromReplay)")
    }

    @Test("the preset's precision is the one that runs unless --precision says otherwise")
    func presetPrecision() throws {
        let model = checkout + "/models/proscore-distilled-r2-ctc", audio = checkout + "/recordings/anna-morning.flac"
        let int8Preset = checkout + "/configs/balanced-int8.json"  // balanced's windows, "precision": "int8"
        let fromPreset = try proscore(["transcribe", model, audio, "--json", "--preset", int8Preset])
        let asked = try proscore(["transcribe", model, audio, "--json", "--precision", "int8"])
        let overridden = try proscore(["transcribe", model, audio, "--json", "--preset", int8Preset, "--precision", "fp32"])
        let fp32 = try proscore(["transcribe", model, audio, "--json"])
        #expect([fromPreset, asked, overridden, fp32].allSatisfy { $0.status == 0 }, "\(fromPreset.stderr)")
        #expect(fromPreset.stdout.contains(#""word""#))
        #expect(fromPreset.stdout == asked.stdout)
        #expect(overridden.stdout == fp32.stdout)
        // Where the CPU runs int8 (no fallback notice), its confidences differ from fp32's.
        if !asked.stderr.contains("notice") { #expect(asked.stdout != fp32.stdout) }
    }

    @Test("without a model, the preset's model transcribes; --model names one as the first path does; a model named twice is refused")
    func modelFromPreset() throws {
        let audio = checkout + "/recordings/anna-morning.flac"
        let preset = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkout + "/configs/low-latency.json"))) as? [String: Any]
        let presetModel = try #require((preset?["pipeline"] as? [String: Any])?["model"] as? String, "low-latency names its model")
        let named = try proscore(["transcribe", checkout + "/" + presetModel, audio, "--json", "--preset", "low-latency"])
        let implied = try proscore(["transcribe", audio, "--json", "--preset", "low-latency"])
        let option = try proscore(["transcribe", "--model", layerNormModel, audio, "--json", "--preset", "low-latency"])
        let positional = try proscore(["transcribe", layerNormModel, audio, "--json", "--preset", "low-latency"])
        #expect([named, implied, option, positional].allSatisfy { $0.status == 0 }, "\(implied.stderr)")
        #expect(named.stdout.contains(#""word""#) && implied.stdout == named.stdout)
        #expect(option.stdout == positional.stdout && option.stdout != named.stdout)
        let twice = try proscore(["transcribe", "--model", layerNormModel, layerNormModel, audio])
        #expect(twice.status != 0 && twice.stderr.contains("given twice"), "\(twice.stderr)")
    }

    @Test("a checkpoint without a CTC head cannot transcribe, and says so")
    func noHead() throws {
        var root = URL(fileURLWithPath: fixtureModel)
        root.deleteLastPathComponent()
        let r = try proscore(["transcribe", root.appendingPathComponent("hubert-base").path, try makeRecording()])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no CTC head"))
    }
}
