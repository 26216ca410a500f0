import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("text scores in sessions", .serialized)
struct TextScoresInSessionTests {
    @Test("with the MiniLM model present, replay emits text scores stamped with their span and stores them")
    func textScores() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let text = root.appendingPathComponent("models/all-minilm-l6-v2").path
        let store = scratch("text.sqlite")
        let r = try proscore(["replay", root.appendingPathComponent("recordings/anna-morning.flac").path, "--model", fixtureModel,
                              "--speed", "max", "--json", "--store", store, "--text-model", text, "--reference", "Hello my name is Anna"])
        #expect(r.status == 0, "\(r.stderr)")
        let scores = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["text_scores"] as? [String: Any]
        }
        let first = try #require(scores.first)
        #expect(first["relevance"] is Double)
        for t in scores {
            #expect((t["lexical_diversity"] is Double) == ((t["words"] as! Int) >= 10), "a lexical diversity needs 10 words: \(t)")
        }
        #expect((first["end_s"] as! Double) > (first["start_s"] as! Double))
        let export = try proscore(["sessions", "export", "1", "--store", store])
        #expect(export.stdout.contains("\"text_scores\""))
    }
}
