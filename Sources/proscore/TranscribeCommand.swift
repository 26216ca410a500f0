import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline
import ProscoreScoring

struct TranscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Stream a recording through the encoder and CTC decoder; print words with times and confidence.",
        usage: "proscore transcribe [<model>] <audio> [--preset <preset>] [--endpoint-ms <ms>] [--json] [--threads <n>] [--precision <precision>]",
        discussion: """
            The transcript goes to stdout, one utterance a line; each word with its start, end and confidence \
            goes to stderr as it is final. With --json, words and utterances are JSON lines on stdout.
            """)

    @Argument(help: ArgumentHelp("[MODEL] AUDIO: a checkpoint directory with a CTC head and vocab.json (default: the preset's model), then the recording (any format libsndfile reads).",
                                 valueName: "model-and-audio")) var paths: [String]
    @Option(help: "Checkpoint directory with a CTC head (default: the preset's model).") var model: String?
    @Option(help: "Streaming preset: a name in configs/ (balanced, low-latency, …) or a file.") var preset: String = "configs/balanced.json"
    @Option(help: "Trailing silence that ends an utterance, in ms (default: the preset's, else 600).") var endpointMs: Int?
    @Flag(help: "One JSON line per final word and utterance.") var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        switch (paths.count, model) {
        case (1, _), (2, nil): break
        case (2, _?): throw ValidationError("The model is given twice: as --model and as the first of two paths. Give it once.")
        case (0, _): throw ValidationError("Name the recording to transcribe: proscore transcribe [MODEL] AUDIO.")
        default: throw ValidationError("Too many paths: proscore transcribe takes [MODEL] AUDIO (\(paths.count) given).")
        }
        if let endpointMs, !(100...10_000).contains(endpointMs) { throw ValidationError("--endpoint-ms must be 100–10000.") }
    }

    /// The recording: the last path.
    var audio: String { paths[paths.count - 1] }

    func run() throws {
        compute.apply()
        let streamingPreset = try StreamingPreset.load(path: Installation.preset(preset))
        let model = paths.count == 2 ? paths[0] : model ?? streamingPreset.pipeline?.model ?? SessionBuilder.defaultModel
        let loaded = try AudioEncoderLoader.load(path: Installation.resolve(model),
                                                 precision: compute.resolved(presetDefault: streamingPreset.pipeline?.precision))
        guard loaded.encoder.ctcHead != nil else {
            throw ValidationError("\(model) has no CTC head (lm_head): it cannot transcribe. Use a …ForCTC checkpoint.")
        }
        let vocabulary = try CTCVocabulary(path: loaded.directory.file("vocab.json"))
        let samples = try AudioLoading.load16kMono(path: audio)
        let stream = StreamingEncoder(encoder: loaded.encoder, settings: streamingPreset.settings)
        let endpoint = EndpointSettings(trailingSilenceMs: endpointMs ?? streamingPreset.pipeline?.endpointMs ?? 600)
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary, endpoint: endpoint)
        // Words and utterances end as in a session: loudness with the recording's gain, and
        // the silence threshold of its background.
        var level = SpeechLevel()
        var utterances: [Utterance] = []
        func handle(_ chunks: [StreamingChunk]) {
            for chunk in chunks {
                let evidence = FrameEvidence(samples: samples, logits: chunk.logits, frames: chunk.frameCount, firstFrame: chunk.firstFrame,
                                             vocabulary: vocabulary, level: &level)
                report(decoder.feed(logits: chunk.logits!, evidence: evidence), into: &utterances)
            }
        }
        for start in stride(from: 0, to: samples.count, by: 1_600) {
            handle(stream.feed(Array(samples[start..<min(samples.count, start + 1_600)])))
        }
        handle(stream.finish())
        report(decoder.finish(), into: &utterances)
        if !json { print(utterances.map(\.text).joined(separator: "\n")) }
    }

    private func report(_ update: TranscriptUpdate, into utterances: inout [Utterance]) {
        if json {
            for w in update.finalWords {
                print(String(format: #"{"word":%@,"start_s":%.2f,"end_s":%.2f,"confidence":%.3f}"#, Self.quoted(w.text), w.startSeconds, w.endSeconds, w.confidence))
            }
        } else {
            for w in update.finalWords {
                FileHandle.standardError.write(Data(String(format: "%7.2f–%6.2f s  %.2f  %@\n", w.startSeconds, w.endSeconds, w.confidence, w.text).utf8))
            }
        }
        for u in update.endedUtterances {
            utterances.append(u)
            if json { print(String(format: #"{"utterance":%@,"start_s":%.2f,"end_s":%.2f}"#, Self.quoted(u.text), u.startSeconds, u.endSeconds)) }
        }
    }

    /// `text` as a JSON string (a vocabulary may hold quotes or backslashes).
    private static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
