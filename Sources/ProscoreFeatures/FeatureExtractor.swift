import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscoreModels
import ProscorePipeline
import ProscoreScoring
import ProscoreTensor
import ProscoreUnits

/// What `extract` writes for each utterance.
public struct ExtractionOptions: Sendable {
    /// Hidden-state indices to keep (nil: all).
    public var layers: [Int]?
    /// `[layers, frames, dim]` per utterance; otherwise only the mean over frames `[layers, dim]`.
    public var sequential = false
    public var float16 = false
    public init() {}
}

/// One line of `index.jsonl`.
public struct IndexEntry: Sendable, Equatable, Codable {
    public var id: String
    public var speaker: String?
    public var text: String?
    public var durationSeconds: Double
    public var frames: Int
    public var file: String
    public var labels: [String: Double]
    /// Greedy CTC transcript when the encoder has a head.
    public var transcript: String?

    enum CodingKeys: String, CodingKey {
        case id, speaker, text, frames, file, labels, transcript
        case durationSeconds = "duration_s"
    }
}

/// Extracts encoder (and BERT) features for a list of utterances into a folder: one
/// safetensors file per utterance under `features/` and an `index.jsonl`. Resumable: ids
/// already in the index are skipped; a file that fails is reported and skipped.
public final class FeatureExtractor {
    public let encoder: AudioEncoder
    public let vocabulary: CTCVocabulary?
    public let text: (model: BertModel, tokenizer: WordPieceTokenizer)?
    public let options: ExtractionOptions
    private let fluency = FluencyAnalyzer(syllableCounter: .shared)
    /// Names of the values in each utterance's `fluency` tensor.
    public static var fluencyFeatureNames: [String] { FluencyMeasures.headFeatureNames }

    public init(encoder: AudioEncoder, vocabulary: CTCVocabulary?, text: (BertModel, WordPieceTokenizer)?, options: ExtractionOptions) {
        self.encoder = encoder
        self.vocabulary = vocabulary
        self.text = text.map { (model: $0.0, tokenizer: $0.1) }
        self.options = options
    }

    public struct Failure: Sendable { public let id: String; public let reason: String }

    /// Runs over `entries`; `progress(done, total, id)` is called after each. Once
    /// `stopRequested` says so, no more are started (what is written stays: a rerun resumes).
    public func run(_ entries: [ManifestEntry], into folder: String, stopRequested: () -> Bool = { false },
                    progress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> (written: Int, skipped: Int, failures: [Failure]) {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/features", withIntermediateDirectories: true)
        let indexPath = folder + "/index.jsonl"
        let done = Set(Self.readIndex(indexPath).map(\.id))
        if !fm.fileExists(atPath: indexPath) { _ = fm.createFile(atPath: indexPath, contents: nil) }
        guard let index = FileHandle(forWritingAtPath: indexPath) else {
            throw ManifestError(path: indexPath, detail: "cannot be written")
        }
        defer { try? index.close() }
        try index.seekToEnd()
        var written = 0, skipped = 0
        var failures: [Failure] = []
        for (n, entry) in entries.enumerated() {
            if stopRequested() { break }
            defer { progress(n + 1, entries.count, entry.id) }
            if done.contains(entry.id) { skipped += 1; continue }
            do {
                let line = try extract(entry, folder: folder)
                index.write(try JSONEncoder().encode(line) + Data("\n".utf8))
                written += 1
            } catch {
                failures.append(Failure(id: entry.id, reason: "\(error)"))
            }
        }
        return (written, skipped, failures)
    }

    func extract(_ entry: ManifestEntry, folder: String) throws -> IndexEntry {
        let samples = try AudioLoading.load16kMono(path: entry.audio)
        guard samples.count >= encoder.config.receptiveFieldSamples else {
            throw AudioFileError.readFailed(path: entry.audio, reason: "shorter than one 25 ms frame")
        }
        let output = encoder(samples)
        let keep = options.layers ?? Array(output.hiddenStates.indices)
        let frames = output.frames
        var tensors: [(name: String, tensor: Tensor)] = []
        if options.sequential {
            tensors.append(("hidden_states", Tensor.stack(keep.map { output.hiddenStates[$0] })))
        }
        tensors.append(("pooled", Tensor.stack(keep.map { Self.meanOverFrames($0 < output.hiddenStates.count ? output.hiddenStates[$0] : output.lastHiddenState) })))
        tensors.append(("layer_indices", Tensor(shape: [keep.count], scalars: keep.map(Float.init))))
        var transcript: String?
        if let vocabulary, let logits = output.logits { transcript = vocabulary.greedyTranscript(logits) }
        // BERT reads what the speaker said, as serving's text pass does: the transcript (the
        // reference, the same for everyone who read it, tells nothing of the speaker); the
        // reference only for an encoder without a CTC head.
        var textSource = "none"
        if let text, let (source, sentence) = transcript.map({ ("transcript", $0) }) ?? entry.text.map({ ("reference", $0) }) {
            let ids = text.tokenizer.encode(sentence)
            let bert = text.model(Array(ids.prefix(text.model.maxTokens)))
            tensors.append(("text_tokens", bert.lastHiddenState))
            tensors.append(("text_pooled", Self.meanOverFrames(bert.lastHiddenState)))
            textSource = source
        }
        let measures = fluencyMeasures(samples: samples, logits: output.logits, frames: frames,
                                       words: (entry.text ?? transcript ?? "").split(separator: " ").map(String.init))
        tensors.append(("fluency", Tensor(shape: [measures.count], scalars: measures.map(Float.init))))
        let file = "features/\(entry.id).safetensors"
        try SafeTensorsWriter.write(tensors, to: folder + "/" + file, storage: options.float16 ? .f16 : .f32,
                                    metadata: ["id": entry.id, "layers": keep.map(String.init).joined(separator: ","), "text_source": textSource,
                                               "fluency_names": Self.fluencyFeatureNames.joined(separator: ",")])
        return IndexEntry(id: entry.id, speaker: entry.speaker, text: entry.text,
                          durationSeconds: FrameGeometry.seconds(samples: samples.count), frames: frames, file: file,
                          labels: entry.labels, transcript: transcript)
    }

    /// Utterance-level fluency features (`fluencyFeatureNames`): speech activity as the live
    /// pipeline decides it (blank posterior when the encoder has a CTC head, and frame
    /// energy); syllables from the reference text, else the transcript.
    func fluencyMeasures(samples: [Float], logits: Tensor?, frames: Int, words: [String]) -> [Double] {
        var level = SpeechLevel()  // the whole utterance at once: its own speech level, as a session's
        let speech = FrameEvidence(samples: samples, logits: logits, frames: frames, vocabulary: vocabulary, level: &level).speech
        let m = fluency.measure(speech: speech, words: words.map { TimedWord(text: $0, startSeconds: 0, endSeconds: 0) })
        return m.headFeatures
    }

    static func meanOverFrames(_ x: Tensor) -> Tensor {
        let rows = Double(max(1, x.shape[0]))
        return Tensor(shape: [x.columns], scalars: x.columnSums().map { Float($0 / rows) })
    }

    /// Entries of an existing `index.jsonl` (none when absent).
    public static func readIndex(_ path: String) -> [IndexEntry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(IndexEntry.self, from: Data($0.utf8)) }
    }
}
