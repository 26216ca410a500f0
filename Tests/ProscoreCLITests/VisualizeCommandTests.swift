import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("proscore visualize", .serialized)
struct VisualizeCommandTests {
    @Test("visualize draws the spectrogram, a PCA colour strip and k-means units on one time axis")
    func visualize() throws {
        let out = scratch("layer.svg")
        let r = try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "2", "--units", "4", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("spectrogram") && svg.contains("principal components") && svg.contains("k-means units (k = 4)"))
        #expect(r.stdout.contains("units"))
        let png = scratch("layer.png")
        #expect(try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "2", "--out", png]).status == 0)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR")
        let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(height == 240)
        #expect(String(decoding: bytes[(bytes.count - 8)..<(bytes.count - 4)], as: UTF8.self) == "IEND")
        let bad = try proscore(["visualize", try makeRecording(), "--model", fixtureModel, "--layer", "9", "--out", scratch("bad.svg")])
        #expect(bad.status != 0 && bad.stderr.contains("0…3"))
    }
}
