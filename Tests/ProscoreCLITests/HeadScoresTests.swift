import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("rolling scores from the shipped head", .serialized)
struct HeadScoresTests {
    @Test("replay emits 0–10 scores every hop from the fluency head; --head none switches them off")
    func scores() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let head = root.appendingPathComponent("configs/heads/fluency.json").path
        let audio = root.appendingPathComponent("recordings/anna-morning.flac").path
        let r = try proscore(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json", "--no-store", "--head", head])
        #expect(r.status == 0, "\(r.stderr)")
        let estimates = r.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
        }
        let scored = estimates.compactMap { $0["scores"] as? [String: Double] }
        #expect(!scored.isEmpty)
        for s in scored {
            #expect(Set(s.keys) == ["accuracy", "fluency", "prosodic", "total"])
            #expect(s.values.allSatisfy { (0...10).contains($0) })
        }
        let off = try proscore(["replay", audio, "--model", fixtureModel, "--speed", "max", "--json", "--no-store", "--head", "none"])
        #expect(!off.stdout.contains("\"scores\""))
    }
}
