import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("the proscore command", .serialized)
struct CommandTests {
    @Test("inspect describes the family, variant and size of a checkpoint")
    func inspect() throws {
        let r = try proscore(["inspect", fixtureModel])
        #expect(r.status == 0)
        #expect(r.stdout.contains("family       wav2vec2"))
        #expect(r.stdout.contains("conv norm: group"))
        #expect(r.stdout.contains("CTC head     32 tokens"))
        #expect(r.stdout.contains("outputs      4 hidden states"))
        #expect(r.stdout.contains("masked_spec_embed"))
    }

    @Test("encode writes the chosen hidden states, frame times and logits the library computes")
    func encode() throws {
        let audio = try makeRecording()
        let out = scratch("features.safetensors")
        let r = try proscore(["encode", fixtureModel, audio, "--layers", "0,3", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let file = try SafeTensorsFile(path: out)
        let hidden = try file.tensor("hidden_states")
        let samples = try AudioLoading.load16kMono(path: audio)
        let expected = try AudioEncoderLoader.load(path: fixtureModel).encoder(samples)
        #expect(hidden.shape == [2, expected.frames, 32])
        #expect(hidden[0].maxAbsDifference(expected.hiddenStates[0]) < 1e-5)
        #expect(hidden[1].maxAbsDifference(expected.hiddenStates[3]) < 1e-5)
        #expect(try file.tensor("layer_indices").scalars == [0, 3])
        let starts = try file.tensor("frame_start_seconds").scalars
        #expect(starts.count == expected.frames && abs(starts[1] - 0.02) < 1e-6)
        #expect(abs(try file.tensor("frame_end_seconds").scalars[0] - 0.025) < 1e-6)
        #expect(try file.tensor("logits").shape == [expected.frames, 32])
        #expect(file.metadata["layers"] == "0,3")
    }

    @Test("encode --float16 halves the file and keeps values to half precision")
    func encodeHalf() throws {
        let audio = try makeRecording()
        let full = scratch("f32.safetensors"), half = scratch("f16.safetensors")
        #expect(try proscore(["encode", fixtureModel, audio, "--out", full]).status == 0)
        #expect(try proscore(["encode", fixtureModel, audio, "--out", half, "--float16"]).status == 0)
        let a = try SafeTensorsFile(path: full).tensor("hidden_states")
        let b = try SafeTensorsFile(path: half).tensor("hidden_states")
        #expect(a.shape == b.shape)
        #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) <= 2e-3 * max(1, abs($0)) })
        for exact in ["frame_start_seconds", "frame_end_seconds", "layer_indices"] {
            #expect(try SafeTensorsFile(path: half).tensor(exact).scalars == SafeTensorsFile(path: full).tensor(exact).scalars, "\(exact) stays float32")
        }
    }

    @Test("bad input is a clear error with a non-zero exit status", arguments: [
        (["encode", "/nonexistent/model", "x.wav"], "/nonexistent/model"),
        (["encode", fixtureModel, "/nonexistent/speech.wav"], "/nonexistent/speech.wav: no such file"),
        (["encode", fixtureModel, fixtureModel + "/config.json"], "cannot open as audio"),
        (["inspect", "/nonexistent/model"], "no such file"),
        (["encode", fixtureModel, "x.wav", "--layers", "zero"], "--layers"),
        (["encode", fixtureModel, "x.wav", "--threads", "0"], "--threads"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let r = try proscore(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr was: \(r.stderr)")
    }

    @Test("asking for a layer the model lacks names the valid range")
    func missingLayer() throws {
        let r = try proscore(["encode", fixtureModel, try makeRecording(), "--layers", "9", "--out", scratch("x.safetensors")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("0…3"))
    }

    @Test("audio shorter than one frame is refused with the minimum length")
    func tooShort() throws {
        let path = scratch("short.wav")
        try SoundFileWriter.write([Float](repeating: 0.1, count: 300), channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        let r = try proscore(["encode", fixtureModel, path, "--out", scratch("x.safetensors")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("at least 400"))
    }
}
