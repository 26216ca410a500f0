import ArgumentParser
import Foundation
import ProscoreFeatures
import ProscoreModels
import ProscorePipeline

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract, for training heads, the features serving computes for each utterance (or offline per-layer features).",
        discussion: """
            MANIFEST is a JSON-lines file ({"id", "audio", "speaker", "text", "labels"}; id and audio \
            required) or a speechocean762 folder (wav.scp, text, utt2spk, scores.csv).

            By default each utterance runs through the session pipeline exactly as `replay --speed max` \
            (the preset's streaming settings; with --read-aloud its text is the reference), and what a head \
            is given for the final estimate is stored: OUT/features/ID.safetensors (pooled [layers, dim], \
            the layer means as serving pools them) and, in OUT/index.jsonl, the window features, the \
            transcript and the trivial baselines' inputs. Heads trained on these (proscore train --kind \
            free|read-aloud) see at run time exactly what they were trained on.

            --offline instead runs the encoder once over the whole utterance (per-frame hidden states with \
            --sequential; with --text-model, BERT's token states and their mean for the greedy CTC transcript, \
            what the speaker said); a data set for research, not for heads that serve. Each file's metadata \
            names its fluency columns (fluency_names) and what BERT read (text_source). Rerunning resumes, with the settings recorded in OUT/extraction.json (other settings are \
            refused); a file that fails is reported and skipped (exit status 2; 1 when every file failed). \
            Ctrl-C finishes the utterances in progress, keeps everything written, says how many are left \
            and exits with 130; the same command resumes.
            """)

    @Argument(help: "Manifest file or speechocean762 folder.") var manifest: String
    @Option(help: "Audio encoder checkpoint (default: the preset's; with --offline, the default preset's).") var model: String?
    @Option(help: "Preset whose streaming settings serving uses: a name in configs/ or a file (default: balanced).") var preset: String?
    @Flag(help: "Use each utterance's text as the reference (read-aloud evidence for read-aloud heads).") var readAloud = false
    @Option(help: "Utterances scored at once.") var jobs: Int = 1
    @Flag(help: "The offline data set (whole-utterance encoder pass) instead of the serving path.") var offline = false
    @Option(help: "BERT checkpoint for text features (e.g. models/all-minilm-l6-v2).") var textModel: String?
    @Option(help: "Output folder.") var out: String
    @Option(help: "Hidden states to keep: all, or indices like 0,6,12.") var layers: LayerSelection = .all
    @Flag(help: "Also store every frame, [layers, frames, dim].") var sequential = false
    @Flag(help: "Store features as float16.") var float16 = false
    @Option(help: "Only the first N utterances.") var limit: Int?
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if !(1...64).contains(jobs) { throw ValidationError("--jobs must be 1–64.") }
        if !offline && (sequential || textModel != nil || float16 || layers != .all) {
            throw ValidationError("--sequential, --text-model, --float16 and --layers belong to --offline extraction; the serving path stores "
                                  + "what a head is given: every layer's mean, in float32.")
        }
        if offline && (readAloud || preset != nil) {
            throw ValidationError("--read-aloud and --preset belong to the serving path: --offline runs the encoder once over each whole "
                                  + "utterance, with no session, reference or streaming settings.")
        }
    }

    func run() throws {
        compute.apply()
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: manifest, isDirectory: &isFolder), isFolder.boolValue,
           !Manifest.isSpeechocean762(folder: manifest) {
            throw ValidationError("\(manifest) is a folder but not speechocean762's (wav.scp, text, utt2spk, scores.csv): extract takes a JSON-lines manifest with each recording's id, speaker and labels; to score a folder of recordings, use `proscore score \(manifest)`.")
        }
        var entries = try Manifest.load(path: manifest)
        if let limit { entries = Array(entries.prefix(limit)) }
        if !isFolder.boolValue {
            let ignored = Manifest.ignoredKeys(path: manifest)
            if !ignored.keys.isEmpty {
                FileHandle.standardError.write(Data("warning: \(manifest): keys nothing reads, left out: \(ignored.keys.joined(separator: ", ")); a manifest line has id, audio, speaker, text and labels\n".utf8))
            }
            if !ignored.labels.isEmpty {
                FileHandle.standardError.write(Data("warning: \(manifest): labels no head can be trained on: \(ignored.labels.joined(separator: ", ")); the scores are \(Manifest.labelNames.sorted().joined(separator: ", "))\n".utf8))
            }
        }
        if let bad = entries.first(where: { !Manifest.isFileName($0.id) }) {
            throw ValidationError("\(manifest): the id \"\(bad.id)\" cannot name a file (each utterance is stored as features/ID.safetensors): give it an id without '/', not starting with '.'.")
        }
        if !offline { return try runServing(entries) }
        let offlineModel = model ?? SessionBuilder.defaultPresetModel()
        let loaded = try AudioEncoderLoader.load(path: Installation.resolve(offlineModel), precision: compute.resolved())
        let vocabulary = loaded.directory.has("vocab.json") ? try CTCVocabulary(path: loaded.directory.file("vocab.json")) : nil
        let text = try textModel.map { path -> (BertModel, WordPieceTokenizer) in
            let bert = try BertLoader.load(path: path)
            return (bert.model, bert.tokenizer)
        }
        var options = ExtractionOptions()
        options.layers = try layers.resolve(available: loaded.encoder.config.numHiddenLayers + 1)
        options.sequential = sequential
        options.float16 = float16
        let modelPath = Installation.portable(Installation.resolve(offlineModel))
        try ExtractionRecord(path: "offline", model: modelPath, precision: compute.resolved().rawValue, layers: options.layers,
                             sequential: sequential, float16: float16, textModel: textModel).claim(out)
        let extractor = FeatureExtractor(encoder: loaded.encoder, vocabulary: vocabulary, text: text, options: options)
        let start = Date()
        var bar = ProgressBar()
        // Ctrl-C: the utterance in progress is finished, no more are started, and the summary says what is left.
        let trap = SignalTrap()
        defer { trap.cancel() }
        let result = try extractor.run(entries, into: out, stopRequested: { trap.stopRequested }) { done, total, id in bar.show(done, total, id) }
        for f in result.failures { FileHandle.standardError.write(Data("skipped \(f.id): \(f.reason)\n".utf8)) }
        let stopped = entries.count - result.written - result.skipped - result.failures.count
        print(String(format: "%@: %ld written, %ld already there, %ld failed, in %.1f s",
                     out, result.written, result.skipped, result.failures.count, Date().timeIntervalSince(start)) + Self.stoppedNote(stopped, of: entries.count))
        if stopped > 0 { throw ExitCode(130) }
        try Self.exitStatus(failed: result.failures.count, of: entries.count)
    }

    /// What a Ctrl-C left, and how to finish it.
    static func stoppedNote(_ stopped: Int, of total: Int) -> String {
        stopped > 0 ? "; stopped (SIGINT or SIGTERM) before the other \(stopped) of \(total): run the same command again to resume" : ""
    }

    /// Like `score`: 0 when every utterance was extracted (or was already there), 2 when some
    /// failed, 1 when all did.
    static func exitStatus(failed: Int, of total: Int) throws {
        if failed > 0 && failed == total { throw ExitCode(1) }
        if failed > 0 { throw ExitCode(2) }
    }

    /// The serving path: every utterance through the session pipeline.
    func runServing(_ entries: [ManifestEntry]) throws {
        var request = SessionRequest()
        request.preset = preset ?? SessionBuilder.defaultPreset
        request.model = model
        request.head = "none"
        request.textModel = "none"
        let (settings, models) = try compute.session(request)
        // The settings the preset resolved to, not its path: an edited preset is other features.
        let w = settings.streaming
        let serving = ["chunk \(w.chunkMs) ms, left \(w.leftContextMs) ms, lookahead \(w.lookaheadMs) ms"
                       + (w.reuseLeftContext ? ", reuse" : ""), "endpoint \(settings.endpointMs) ms",
                       "longest utterance \(settings.maxUtteranceSeconds) s", "window \(settings.windowSeconds) s",
                       "pause \(settings.pauseMs) ms"].joined(separator: "; ")
        try ExtractionRecord(path: "serving", model: Installation.portable(settings.model), preset: serving, readAloud: readAloud,
                             precision: settings.precision.rawValue).claim(out)
        let scorer = BatchScorer(models: models, settings: settings, jobs: jobs, capture: true)
        let extractor = ServingFeatureExtractor(scorer: scorer, readAloud: readAloud)
        let start = Date()
        var bar = ProgressBar()
        // Ctrl-C: the utterances in progress are finished and stored, no more are started.
        let trap = SignalTrap()
        defer { trap.cancel() }
        trap.onStop { scorer.stop() }
        let result = try extractor.run(entries, into: out) { done, total, id in bar.show(done, total, id) }
        for f in result.failures { FileHandle.standardError.write(Data("skipped \(f.id): \(f.reason)\n".utf8)) }
        let relabelled = result.relabelled > 0 ? " (\(result.relabelled) given the manifest's new labels or speaker)" : ""
        let stopped = entries.count - result.written - result.gated - result.skipped - result.failures.count
        print(String(format: "%@: %ld written, %ld refused by the speech gate, %ld already there%@, %ld failed, in %.1f s (serving path, %@)",
                     out, result.written, result.gated, result.skipped, relabelled, result.failures.count, Date().timeIntervalSince(start),
                     preset ?? SessionBuilder.defaultPreset) + Self.stoppedNote(stopped, of: entries.count))
        if stopped > 0 { throw ExitCode(130) }
        try Self.exitStatus(failed: result.failures.count, of: entries.count)
    }
}
