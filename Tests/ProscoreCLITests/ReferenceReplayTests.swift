import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("read-aloud reference in replay", .serialized)
struct ReferenceReplayTests {
    @Test("completeness reaches 10 when every reference word is recognised, less when words are missing; extras are listed")
    func completeness() throws {
        var dir = URL(fileURLWithPath: fixtureModel)
        dir.deleteLastPathComponent()
        let model = dir.appendingPathComponent("wav2vec2-layer-postnorm-ctc").path
        let audio = try SafeTensorsFile(path: model + "/expected.safetensors").tensor("audio").scalars
        let path = scratch("fixture.wav")
        try SoundFileWriter.write(audio, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
        let preset = scratch("whole.json")
        try StreamingPreset(name: "whole", description: "window longer than the audio",
                            settings: StreamingSettings(chunkMs: 400, leftContextMs: 4_000, lookaheadMs: 4_000)).write(path: preset)
        let spoken = try AudioEncoderLoader.load(path: model).encoder(audio)
        let transcript = try CTCVocabulary(path: model + "/vocab.json").greedyTranscript(spoken.logits!)
        let words = transcript.split(separator: " ").map(String.init)
        #expect(words.count >= 2)

        func last(_ reference: String) throws -> [String: Any] {
            let r = try proscore(["replay", path, "--model", model, "--preset", preset, "--speed", "max", "--json", "--no-store",
                                  "--head", "none", "--endpoint-ms", "5000", "--reference", reference])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
            }.last!
        }
        #expect(try last(transcript)["completeness"] as? Double == 10)
        let withMissing = try last(words[0] + " NEVERSAID " + words.dropFirst().joined(separator: " "))
        #expect((withMissing["completeness"] as! Double) < 10)
        #expect(withMissing["omitted_words"] as? [String] == ["NEVERSAID"])
        let shorter = try last(words.dropLast().joined(separator: " "))
        #expect(shorter["inserted_words"] as? [String] == [words.last!])
    }
}
