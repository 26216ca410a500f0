import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("proscore record and devices", .serialized)
struct RecordCommandTests {
    @Test("record --file replays a recording through the ring buffer into a 16 kHz FLAC")
    func recordReplay() throws {
        let audio = try makeRecording()
        let out = scratch("replayed.flac")
        let r = try proscore(["record", "--file", audio, "--speed", "max", "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(summary["dropped_samples"] as? Int == 0)
        #expect(summary["end_reason"] as? String == "finished")
        let expected = try AudioLoading.load16kMono(path: audio)
        let saved = try AudioLoading.load16kMono(path: out)
        #expect(saved.count == expected.count)
        #expect(zip(saved, expected).allSatisfy { abs($0 - $1) < 1e-4 })  // 16-bit FLAC
    }

    @Test("record from an ALSA PCM defined in a configuration file, for a fixed duration")
    func recordDevice() throws {
        let raw = scratch("in.raw")
        let values = (0..<16_000).map { Int16(truncatingIfNeeded: $0 * 3) }
        _ = FileManager.default.createFile(atPath: raw, contents: values.withUnsafeBytes { Data($0) })
        let config = scratch("alsa.conf")
        try """
            pcm.proscore_cli_test {
                type file
                slave.pcm { type null }
                file "/dev/null"
                infile "\(raw)"
                format "raw"
            }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let out = scratch("captured.flac")
        let r = try proscore(["record", "--device", "proscore_cli_test", "--alsa-config", config, "--duration", "0.5",
                              "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let saved = try AudioLoading.load16kMono(path: out)
        let expected = values[0..<8_000].map { Float($0) / 32_768 }
        #expect(saved.count == expected.count)
        let firstDifference = saved.indices.first { saved[$0] != expected[$0] }
        #expect(firstDifference == nil, "first difference at sample \(firstDifference ?? -1)")
    }

    @Test("record refuses nonsense options and missing devices with a clear message", arguments: [
        (["record", "--file", "a.wav", "--device", "default"], "not both"),
        (["record", "--file", "a.wav", "--speed", "fast"], "--speed"),
        (["record", "--device", "proscore_no_such_pcm", "--out", NSTemporaryDirectory() + UUID().uuidString + ".flac"], "proscore devices"),
        (["record", "--file", "/nonexistent.wav"], "no such file"),
        (["record", "--rate", "1", "--device", "default"], "--rate"),
        (["record", "--alsa-config", NSTemporaryDirectory(), "--device", "default", "--duration", "1"], "cannot be read as a text file of ALSA configuration"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let r = try proscore(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr was: \(r.stderr)")
        #expect(!r.stderr.contains("ALSA lib"), "libasound's own messages stay off: \(r.stderr)")
    }

    @Test("devices lists ALSA's capture PCMs")
    func devices() throws {
        let r = try proscore(["devices"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("null"))
    }
}
