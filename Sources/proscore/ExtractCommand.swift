import ArgumentParser
import Foundation
import ProscoreFeatures
import ProscoreModels

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract per-layer encoder features (and BERT features of the text) for a list of utterances.",
        discussion: """
            MANIFEST is a JSON-lines file ({"id", "audio", "speaker", "text", "labels"}; id and audio \
            required) or a speechocean762 folder (wav.scp, text, utt2spk, scores.csv). Writes \
            OUT/features/ID.safetensors (pooled [layers, dim], optionally hidden_states \
            [layers, frames, dim], text_tokens and text_pooled) and OUT/index.jsonl. Rerunning \
            resumes; a file that fails is reported and skipped.
            """)

    @Argument(help: "Manifest file or speechocean762 folder.") var manifest: String
    @Option(help: "Audio encoder checkpoint.") var model: String
    @Option(help: "BERT checkpoint for text features (e.g. models/all-minilm-l6-v2).") var textModel: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: "Hidden states to keep: all, or indices like 0,6,12.") var layers: LayerSelection = .all
    @Flag(help: "Also store every frame, [layers, frames, dim].") var sequential = false
    @Flag(help: "Store features as float16.") var float16 = false
    @Option(help: "Only the first N utterances.") var limit: Int?
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        var entries = try Manifest.load(path: manifest)
        if let limit { entries = Array(entries.prefix(limit)) }
        let loaded = try AudioEncoderLoader.load(path: model)
        let vocabulary = loaded.directory.has("vocab.json") ? try CTCVocabulary(path: loaded.directory.file("vocab.json")) : nil
        let text = try textModel.map { path -> (BertModel, WordPieceTokenizer) in
            let bert = try BertLoader.load(path: path)
            return (bert.model, bert.tokenizer)
        }
        var options = ExtractionOptions()
        options.layers = try layers.resolve(available: loaded.encoder.config.numHiddenLayers + 1)
        options.sequential = sequential
        options.float16 = float16
        let extractor = FeatureExtractor(encoder: loaded.encoder, vocabulary: vocabulary, text: text, options: options)
        let start = Date()
        let terminal = isatty(2) != 0
        let result = try extractor.run(entries, into: out) { done, total, id in
            // A bar redrawn in place on a terminal; a line every 10% in a log.
            if terminal {
                let width = 30, filled = width * done / max(1, total)
                let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
                FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) \(id)      ".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            } else if done == total || done % max(1, total / 10) == 0 {
                FileHandle.standardError.write(Data("\(done)/\(total)\n".utf8))
            }
        }
        for f in result.failures { FileHandle.standardError.write(Data("skipped \(f.id): \(f.reason)\n".utf8)) }
        print(String(format: "%@: %d written, %d already there, %d failed, in %.1f s",
                     out, result.written, result.skipped, result.failures.count, Date().timeIntervalSince(start)))
    }
}
