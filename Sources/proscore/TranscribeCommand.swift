import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline

struct TranscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Stream a recording through the encoder and CTC decoder; print words with times and confidence.")

    @Argument(help: "Checkpoint directory with a CTC head and vocab.json.") var model: String
    @Argument(help: "Recording (any format libsndfile reads).") var audio: String
    @Option(help: "Streaming preset.") var preset: String = "configs/balanced.json"
    @Option(help: "Trailing silence that ends an utterance, in ms.") var endpointMs: Int = 600
    @Flag(help: "One JSON line per final word and utterance.") var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        let loaded = try AudioEncoderLoader.load(path: Installation.resolve(model), precision: compute.resolved())
        guard loaded.encoder.ctcHead != nil else {
            throw ValidationError("\(model) has no CTC head (lm_head): it cannot transcribe. Use a …ForCTC checkpoint.")
        }
        let vocabulary = try CTCVocabulary(path: loaded.directory.file("vocab.json"))
        let settings = try StreamingPreset.load(path: Installation.resolve(preset)).settings
        let samples = try AudioLoading.load16kMono(path: audio)
        let stream = StreamingEncoder(encoder: loaded.encoder, settings: settings)
        let decoder = StreamingCTCDecoder(vocabulary: vocabulary, endpoint: EndpointSettings(trailingSilenceMs: endpointMs))
        var utterances: [Utterance] = []
        func handle(_ chunks: [StreamingChunk]) {
            for chunk in chunks {
                let energy = FrameEnergy.decibels(samples, frames: chunk.frameCount, firstFrame: chunk.firstFrame)
                report(decoder.feed(logits: chunk.logits!, frameEnergyDb: energy), into: &utterances)
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
                print(String(format: #"{"word":"%@","start_s":%.2f,"end_s":%.2f,"confidence":%.3f}"#, w.text, w.startSeconds, w.endSeconds, w.confidence))
            }
        } else {
            for w in update.finalWords {
                FileHandle.standardError.write(Data(String(format: "%7.2f–%6.2f s  %.2f  %@\n", w.startSeconds, w.endSeconds, w.confidence, w.text).utf8))
            }
        }
        for u in update.endedUtterances {
            utterances.append(u)
            if json { print(String(format: #"{"utterance":"%@","start_s":%.2f,"end_s":%.2f}"#, u.text, u.startSeconds, u.endSeconds)) }
        }
    }
}
