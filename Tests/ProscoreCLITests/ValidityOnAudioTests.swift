import Foundation
import ProscoreFakes
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreTensor
import Testing

@Suite("validity on synthesised speech, each preset's model and heads", .serialized)
struct ValidityOnAudioTests {
    let sentence = "Every morning I read the news and then I walk to work with my friend"

    /// Speaks `text` with espeak-ng (words per minute, gap between words in 10 ms units).
    func speak(_ text: String, rate: Int = 150, gap: Int = 0) throws -> String {
        try SynthesisedSpeech.espeak(text, rate: rate, gap: gap, to: scratch("speech.wav"))
    }

    /// What each case replays with: every shipped preset's model and heads (r2 and the heads
    /// fitted on that preset's windows), and the small model
    /// with the encoder-independent heads that any model without heads of its own falls back to.
    static let setups = ["balanced", "accurate", "balanced-int8", "low-latency", "small-model fallback"]

    func arguments(_ setup: String) -> [String] {
        setup == "small-model fallback"
            ? ["--preset", "configs/balanced.json", "--model", "models/proscore-small-ctc",
               "--head", "configs/heads/fluency.json", "--read-aloud-head", "configs/heads/fluency-read-aloud.json"]
            : ["--preset", "configs/\(setup).json"]
    }

    /// The last estimate of a replay with `preset`'s model and heads (with `reference`, the
    /// read-aloud head's).
    func lastEstimate(_ audio: String, reference: String? = nil, preset: String) throws -> [String: Any]? {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let (process, out) = try launch(["replay", audio, "--speed", "max", "--json", "--no-store", "--text-model", "none"]
                                        + arguments(preset) + (reference.map { ["--reference", $0] } ?? []), in: root)
        let data = readAll(out)
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["estimate"] as? [String: Any]
        }.last
    }

    /// The final fluency estimate of a replay with `preset`'s model and heads.
    func fluency(_ audio: String, reference: String? = nil, preset: String) throws -> Double {
        let last = try lastEstimate(audio, reference: reference, preset: preset)
        return try #require((last?["scores"] as? [String: Double])?["fluency"], "no scores: is the default model in models/?")
    }

    /// The presets whose read-aloud heads' floor on the reading's alignment catches a reading
    /// of a fifth of its reference (accurate's, at -5.17 nats, lets espeak-ng's through).
    static let flooredSetups = ["balanced", "balanced-int8", "low-latency"]

    @Test("a reading of a fifth of its reference gets no read-aloud scores and says why; the whole text is scored",
          arguments: Self.flooredSetups)
    func readingCutShort(preset: String) throws {
        let audio = try speak("Does Layla like the jam")
        let right = try lastEstimate(audio, reference: "Does Layla like the jam", preset: preset)
        #expect(right?["scores"] != nil, "\(preset): \(right ?? [:])")
        let long = try lastEstimate(audio, reference: "Does Layla like the jam and then we went home to have a big dinner with our whole "
                                    + "family and friends on a sunny day", preset: preset)
        #expect(long?["scores"] == nil && long?["read_aloud"] == nil, "\(preset): \(long ?? [:])")
        #expect((long?["unscored_reason"] as? String)?.contains("does not follow the reference text") == true, "\(preset): \(long ?? [:])")
    }

    @Test("a reading that stops two words short lists those words as not reached, not as mispronounced, and is scored",
          arguments: ["balanced", "accurate", "balanced-int8", "low-latency"])
    func readingStopsShort(preset: String) throws {
        let last = try lastEstimate(try speak("Does Layla like the jam"), reference: "Does Layla like the jam every day", preset: preset)
        let readAloud = last?["read_aloud"] as? [String: Any]
        #expect(last?["scores"] != nil && readAloud?["not_reached"] as? [String] == ["EVERY", "DAY"], "\(preset): \(last ?? [:])")
        let listed = readAloud?["likely_mispronounced"] as? [String] ?? []
        #expect(!listed.contains("EVERY") && !listed.contains("DAY"), "\(preset): \(listed)")
        let whole = try lastEstimate(try speak("Does Layla like the jam"), reference: "Does Layla like the jam", preset: preset)
        #expect((whole?["read_aloud"] as? [String: Any])?["not_reached"] as? [String] == [], "\(preset): \(whole ?? [:])")
    }

    @Test("the same speech through a microphone 25 dB quieter is scored, and scored alike", arguments: Self.setups)
    func quieterMicrophone(preset: String) throws {
        let loud = try speak(sentence)
        let samples = try AudioLoading.load16kMono(path: loud)
        let quiet = scratch("quiet.wav")
        try SoundFileWriter.write(samples.map { $0 * 0.056 }, channels: 1, sampleRate: 16_000, format: .wav16, to: quiet)  // -25 dB
        let (a, b) = (try fluency(loud, preset: preset), try fluency(quiet, preset: preset))
        #expect(abs(a - b) < 0.5, "\(preset): fluency \(a) at the recorded level, \(b) 25 dB quieter")
    }

    @Test("silence before the first word or after the last (a learner slow to press Stop) leaves the score alone", arguments: Self.setups)
    func silenceAtTheEdges(preset: String) throws {
        let speech = try AudioLoading.load16kMono(path: try speak(sentence))
        var state: UInt64 = 3
        func room(_ seconds: Double) -> [Float] {  // a quiet room, about -80 dBFS
            (0..<Int(seconds * 16_000)).map { _ -> Float in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return 1e-4 * (Float(state >> 40) / Float(1 << 24) * 2 - 1)
            }
        }
        func file(_ samples: [Float], _ name: String) throws -> String {
            let path = scratch(name)
            try SoundFileWriter.write(samples, channels: 1, sampleRate: 16_000, format: .wavFloat, to: path)
            return path
        }
        // As a recording usually starts: half a second before the first word.
        let plain = try fluency(try file(room(0.5) + speech, "plain.wav"), preset: preset)
        let after = try fluency(try file(room(0.5) + speech + room(6), "after.wav"), preset: preset)
        // 6.4 s more before: the streaming chunks (640 ms) fall on the speech as they did.
        let before = try fluency(try file(room(6.9) + speech, "before.wav"), preset: preset)
        // Measured over the whole span, 6 s of silence took fluency down by about 1 (after) and 0.8–1.3 (before).
        #expect(abs(after - plain) < 0.2, "\(preset): fluency \(plain) as recorded, \(after) with 6 s of silence after")
        // The encoder's left context still differs (silence, not the stream's start), so the layers move a little.
        #expect(abs(before - plain) < 0.4, "\(preset): fluency \(plain) as recorded, \(before) with 6.4 s more silence before")
    }

    @Test("in a noisy room the pauses between words are still pauses: white noise at 10 dB SNR keeps the fluency estimate", arguments: Self.setups)
    func noisyRoom(preset: String) throws {
        let clean = try speak(sentence, gap: 40)
        let samples = try AudioLoading.load16kMono(path: clean)
        // Speech power from the louder half of its 20 ms frames; noise 10 dB under it.
        let powers = stride(from: 0, to: samples.count - 320, by: 320).map { start in
            samples[start..<(start + 320)].map { $0 * $0 }.reduce(0, +) / 320
        }.sorted()
        let speechPower = powers[(powers.count / 2)...].reduce(0, +) / Float(powers.count - powers.count / 2)
        let amplitude = (speechPower / 10).squareRoot() * Float(3).squareRoot()  // uniform noise of that power
        var state: UInt64 = 1
        let noisy = samples.map { x -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return max(-1, min(1, x + amplitude * (Float(state >> 40) / Float(1 << 24) * 2 - 1)))
        }
        let path = scratch("noisy.wav")
        try SoundFileWriter.write(noisy, channels: 1, sampleRate: 16_000, format: .wav16, to: path)
        let (a, b) = (try fluency(clean, preset: preset), try fluency(path, preset: preset))
        #expect(abs(a - b) < 0.6, "\(preset): fluency \(a) clean, \(b) with noise at 10 dB SNR")
    }

    @Test("longer pauses between words lower the fluency estimate", arguments: Self.setups)
    func pauses(preset: String) throws {
        #expect(FileManager.default.fileExists(atPath: "/usr/bin/espeak-ng"), "espeak-ng comes with make setup")
        let values = try [0, 20, 40].map { try fluency(try speak(sentence, gap: $0), preset: preset) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(preset): \(values)")
    }

    @Test("slower speech lowers the fluency estimate", arguments: Self.setups)
    func slower(preset: String) throws {
        // 150, 110 and 75 words a minute (the serving-path head puts 110 and 90 within 0.05 of each other).
        let values = try [150, 110, 75].map { try fluency(try speak(sentence, rate: $0), preset: preset) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(preset): \(values)")
    }

    @Test("filled pauses lower the fluency estimate", arguments: Self.setups)
    func filled(preset: String) throws {
        let texts = [sentence,
                     "Every morning, um, I read the news, uh, and then I walk, um, to work with my friend",
                     "Every, um, morning, uh, I read, um, the news, uh, and then, um, I walk, uh, to work with my friend"]
        let values = try texts.map { try fluency(try speak($0), preset: preset) }
        #expect(values[0] > values[1] && values[1] > values[2], "\(preset): \(values)")
    }

    @Test("read aloud, longer pauses and slower speech each lower the read-aloud head's fluency estimate", arguments: Self.setups)
    func readAloud(preset: String) throws {
        let pauses = try [0, 20, 40].map { try fluency(try speak(sentence, gap: $0), reference: sentence, preset: preset) }
        #expect(pauses[0] > pauses[1] && pauses[1] > pauses[2], "\(preset): \(pauses)")
        let rates = try [150, 110, 75].map { try fluency(try speak(sentence, rate: $0), reference: sentence, preset: preset) }
        #expect(rates[0] > rates[1] && rates[1] > rates[2], "\(preset): \(rates)")
    }
}
