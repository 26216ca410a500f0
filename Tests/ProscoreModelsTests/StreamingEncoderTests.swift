import Foundation
import ProscoreCheckpoint
import ProscoreTensor
import Testing
@testable import ProscoreModels

/// Feeds `samples` in pieces whose sizes cycle through `sizes`; returns every chunk.
func stream(_ encoder: StreamingEncoder, _ samples: [Float], sizes: [Int]) -> [StreamingChunk] {
    var chunks: [StreamingChunk] = []
    var offset = 0, i = 0
    while offset < samples.count {
        let n = min(sizes[i % sizes.count], samples.count - offset)
        chunks += encoder.feed(Array(samples[offset..<(offset + n)]))
        offset += n
        i += 1
    }
    return chunks + encoder.finish()
}

/// The same encoder with input normalisation switched off (to test the conv cache alone).
func withoutInputNormalisation(_ e: AudioEncoder) -> AudioEncoder {
    var p = e.preprocessor
    p.doNormalize = false
    return AudioEncoder(config: e.config, preprocessor: p, featureEncoder: e.featureEncoder,
                        featureProjection: e.featureProjection, positionalEmbedding: e.positionalEmbedding,
                        encoderNorm: e.encoderNorm, layers: e.layers, ctcHead: e.ctcHead)
}

let layerNormFixtures = ["wav2vec2-large-layernorm", "hubert-large-ctc", "data2vec-audio-ctc", "wav2vec2-layer-postnorm-ctc"]
let groupNormFixtures = ["wav2vec2-base-ctc", "hubert-base"]
let feedSizes: [[Int]] = [[1], [7], [13], [97], [401], [1009], [16_000], [1, 320, 2, 6_007, 3]]

@Suite("streaming encoder")
struct StreamingEncoderTests {
    func load(_ name: String) throws -> AudioEncoder {
        try AudioEncoderLoader.load(path: "\(Fixtures.encoders)/\(name)").encoder
    }

    @Test("streamed conv features equal offline ones for layer-norm checkpoints, whatever the feed sizes",
          arguments: layerNormFixtures, feedSizes)
    func convCacheIsExact(_ name: String, sizes: [Int]) throws {
        let encoder = withoutInputNormalisation(try load(name))
        let expected = try Fixtures.expected(name)
        let input = try expected.tensor("input_values").scalars  // normalised as transformers did
        let stream = StreamingFeatureEncoder(encoder: encoder)
        #expect(stream.isExact)
        var features: [Float] = []
        var offset = 0, i = 0
        while offset < input.count {
            let n = min(sizes[i % sizes.count], input.count - offset)
            features += stream.feed(Array(input[offset..<(offset + n)])).scalars
            offset += n
            i += 1
        }
        let offline = try expected.tensor("extract_features")
        let streamed = Tensor(shape: offline.shape, scalars: features)
        #expect(streamed.maxAbsDifference(offline) <= 1e-5)
    }

    @Test("group norm and input normalisation stream with running statistics; the deviation is measured",
          arguments: groupNormFixtures)
    func runningStatistics(_ name: String) throws {
        let encoder = try load(name)
        let audio = try Fixtures.expected(name).tensor("audio").scalars
        let stream = StreamingFeatureEncoder(encoder: encoder)
        #expect(!stream.isExact)
        let streamed = stream.feed(audio)  // one piece: running statistics over the whole input = offline
        let offline = try Fixtures.expected(name).tensor("extract_features")
        #expect(streamed.shape == offline.shape)
        // Fed in one piece, the running statistics are the whole-utterance statistics.
        #expect(streamed.maxAbsDifference(offline) < 1e-3)
        // Fed in 20 ms pieces, early frames see few samples: a real, measured deviation.
        let piecewise = StreamingFeatureEncoder(encoder: encoder)
        var rows: [Float] = []
        for start in stride(from: 0, to: audio.count, by: 320) {
            rows += piecewise.feed(Array(audio[start..<min(audio.count, start + 320)])).scalars
        }
        let fidelity = StreamingFidelity.compare(Tensor(shape: offline.shape, scalars: rows), offline)
        #expect(fidelity.maxAbsDifference > 1e-4, "running statistics cannot be exact from the first frame")
        #expect(fidelity.meanCosine > 0.5)
    }

    @Test("a window that covers the whole utterance reproduces the offline encoder exactly",
          arguments: ["wav2vec2-layer-postnorm-ctc", "hubert-large-ctc"])
    func wholeWindowIsExact(_ name: String) throws {
        let encoder = withoutInputNormalisation(try load(name))
        let expected = try Fixtures.expected(name)
        let input = try expected.tensor("input_values").scalars
        let settings = StreamingSettings(chunkFrames: 8, leftContextFrames: 200, lookaheadFrames: 200)
        let chunks = stream(StreamingEncoder(encoder: encoder, settings: settings), input, sizes: [1009])
        let offline = encoder(input)
        #expect(chunks.map(\.firstFrame) == Array(stride(from: 0, to: offline.frames, by: 8)))
        let fidelity = StreamingFidelity(chunks: chunks, offline: offline)
        for (i, layer) in fidelity.layers.enumerated() {
            #expect(layer.maxAbsDifference < 1e-4, "hidden state \(i)")
        }
        let logits = StreamingFidelity.concatenate(chunks).logits!
        #expect(logits.maxAbsDifference(offline.logits!) < 1e-4)
    }

    @Test("emitted chunks tile the stream: every frame once, in order, the same for any feed sizes")
    func tiling() throws {
        let encoder = withoutInputNormalisation(try load("wav2vec2-layer-postnorm-ctc"))
        let input = try Fixtures.expected("wav2vec2-layer-postnorm-ctc").tensor("input_values").scalars
        let settings = StreamingSettings(chunkFrames: 5, leftContextFrames: 10, lookaheadFrames: 3)
        let a = stream(StreamingEncoder(encoder: encoder, settings: settings), input, sizes: [1])
        let b = stream(StreamingEncoder(encoder: encoder, settings: settings), input, sizes: [4_001, 17])
        let frames = encoder(input).frames
        #expect(a.reduce(0) { $0 + $1.frameCount } == frames)
        var next = 0
        for chunk in a {
            #expect(chunk.firstFrame == next)
            next += chunk.frameCount
        }
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.firstFrame == y.firstFrame)
            #expect(x.lastHiddenState.maxAbsDifference(y.lastHiddenState) < 1e-5)
        }
    }

    @Test("a short window is measurably approximate; reusing cached left context is too, and equals recomputing without left context")
    func approximations() throws {
        let name = "wav2vec2-layer-postnorm-ctc"
        let encoder = withoutInputNormalisation(try load(name))
        let input = try Fixtures.expected(name).tensor("input_values").scalars
        let offline = encoder(input)
        let recompute = StreamingFidelity(chunks: stream(StreamingEncoder(encoder: encoder, settings:
            StreamingSettings(chunkFrames: 10, leftContextFrames: 20, lookaheadFrames: 4)), input, sizes: [320]), offline: offline)
        let reuse = StreamingFidelity(chunks: stream(StreamingEncoder(encoder: encoder, settings:
            StreamingSettings(chunkFrames: 10, leftContextFrames: 20, lookaheadFrames: 4, reuseLeftContext: true)), input, sizes: [320]), offline: offline)
        #expect(recompute.layers[0].maxAbsDifference > 1e-4)  // the positional conv sees a cut window
        #expect(recompute.layers.last!.meanCosine > 0.8)
        #expect(reuse.layers.last!.meanCosine > 0.5)
        #expect(reuse.layers.last!.maxAbsDifference != recompute.layers.last!.maxAbsDifference)

        let noLeft = StreamingSettings(chunkFrames: 10, leftContextFrames: 0, lookaheadFrames: 4)
        var noLeftReuse = noLeft
        noLeftReuse.reuseLeftContext = true
        let x = stream(StreamingEncoder(encoder: encoder, settings: noLeft), input, sizes: [320])
        let y = stream(StreamingEncoder(encoder: encoder, settings: noLeftReuse), input, sizes: [320])
        for (a, b) in zip(x, y) { #expect(a.lastHiddenState == b.lastHiddenState) }
    }

    @Test("settings in milliseconds round to 20 ms frames and report latency and cost")
    func settings() {
        let s = StreamingSettings(chunkMs: 320, leftContextMs: 1_280, lookaheadMs: 160)
        #expect(s.chunkFrames == 16 && s.leftContextFrames == 64 && s.lookaheadFrames == 8)
        #expect(s.algorithmicLatencyMs == 480)
        #expect(abs(s.costFactor - 88.0 / 16) < 1e-9)
        #expect(StreamingSettings(chunkFrames: 0, leftContextFrames: 0, lookaheadFrames: 0).problem != nil)
    }

    @Test("greedy CTC decoding collapses repeats, drops blanks and turns | into spaces")
    func greedy() throws {
        let vocabulary = try CTCVocabulary(path: "\(Fixtures.encoders)/wav2vec2-base-ctc/vocab.json")
        // frames: H H <pad> I | | <pad> I  → "HI I"
        let ids = [11, 11, 0, 10, 4, 4, 0, 10]
        var logits = Tensor(zeros: [ids.count, 32])
        for (t, id) in ids.enumerated() { logits.scalars[t * 32 + id] = 1 }
        #expect(vocabulary.greedyTranscript(logits) == "HI I")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.encoders)/manifest.json")))
        let text = try #require(findText(manifest, fixture: "wav2vec2-base-ctc"))
        let encoder = try load("wav2vec2-base-ctc")
        let audio = try Fixtures.expected("wav2vec2-base-ctc").tensor("audio").scalars
        #expect(vocabulary.greedyTranscript(encoder(audio).logits!) == text)
    }
}

/// The greedy text transformers decoded for a fixture, as tools/make_fixtures.py recorded it.
func findText(_ manifest: Any, fixture: String) -> String? {
    let entries = (manifest as? [String: Any])?["fixtures"] as? [[String: Any]] ?? []
    guard let entry = entries.first(where: { $0["name"] as? String == fixture }) else { return nil }
    return (entry["ctc"] as? [String: Any])?["greedy_text"] as? String
}
