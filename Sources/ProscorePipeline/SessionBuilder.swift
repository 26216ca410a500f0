import Foundation
import ProscoreCheckpoint
import ProscoreModels
import ProscoreScoring
import ProscoreTensor

/// What a person asks for on the command line (or a client in its start message): a
/// preset and overrides. Nil means "the preset's, else the default".
public struct SessionRequest: Sendable {
    public var preset = SessionBuilder.defaultPreset
    public var model: String?
    /// A head file, or "none".
    public var head: String?
    /// The head for read-aloud sessions (with a reference), or "none".
    public var readAloudHead: String?
    /// A BERT checkpoint, or "none".
    public var textModel: String?
    public var endpointMs: Int?
    public var maxUtteranceSeconds: Double?
    public var windowSeconds: Double?
    public var pauseMs: Int?
    public var reference: String?
    /// The prompt of a free-speech task, for the text scores' relevance.
    public var textPrompt: String?
    /// Who spoke (see `SessionSettings.learner`).
    public var learner: String?
    public var threads = 1
    /// fp32 or int8 (nil: the preset's, else fp32).
    public var precision: Precision?
    public var ringSeconds = 10.0

    public init() {}
}

/// Why a session could not be set up, said so that the person knows what to pass.
public struct SessionSetupError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// The models a session reads, loaded once and shared read-only by every session that
/// uses them.
public struct LoadedModels: @unchecked Sendable {
    public let encoder: AudioEncoder
    public let vocabulary: CTCVocabulary
    /// The free-speech head, and the read-aloud head used when a reference is given.
    public let head: ProficiencyHead?
    public let readAloudHead: ProficiencyHead?
    /// The files those heads were read from: the settings' own, or the encoder-independent
    /// ones when the preset's did not fit the model.
    public let headPath: String?
    public let readAloudHeadPath: String?
    public let embedder: SentenceEmbedder?

    public init(encoder: AudioEncoder, vocabulary: CTCVocabulary, head: ProficiencyHead?, readAloudHead: ProficiencyHead?,
                headPath: String? = nil, readAloudHeadPath: String? = nil, embedder: SentenceEmbedder?) {
        self.encoder = encoder
        self.vocabulary = vocabulary
        self.head = head
        self.readAloudHead = readAloudHead
        self.headPath = headPath
        self.readAloudHeadPath = readAloudHeadPath
        self.embedder = embedder
    }
}

extension LoadedModels {
    /// The same models without the text model (for paths that compute no text scores).
    public var withoutEmbedder: LoadedModels {
        LoadedModels(encoder: encoder, vocabulary: vocabulary, head: head, readAloudHead: readAloudHead,
                     headPath: headPath, readAloudHeadPath: readAloudHeadPath, embedder: nil)
    }
}

extension SessionSettings {
    /// These settings as `models` carry them out: the head files are the ones that were
    /// loaded. This is what a session stores as its configuration, so a session scored by a
    /// fallback head names that head, not the preset's.
    public func withHeads(of models: LoadedModels) -> SessionSettings {
        var settings = self
        settings.head = models.headPath
        settings.readAloudHead = models.readAloudHeadPath
        return settings
    }
}

/// Turns a preset plus overrides into settings, loads what they name, and builds the
/// stages of one session.
public enum SessionBuilder {
    public static let defaultPreset = "configs/balanced.json"
    public static let defaultModel = "models/proscore-small-ctc"

    /// The model of the default preset (the one every preset scores with), else `defaultModel`:
    /// what commands without a preset (`visualize`, `extract --offline`) read by default.
    public static func defaultPresetModel() -> String {
        (try? StreamingPreset.load(path: Installation.preset(defaultPreset)))?.pipeline?.model ?? defaultModel
    }
    /// The encoder-independent heads (named features only): they serve any model, and stand
    /// in for a preset's heads that do not belong to the model.
    public static let defaultHead = "configs/heads/fluency.json"
    public static let defaultReadAloudHead = "configs/heads/fluency-read-aloud.json"
    public static let defaultTextModel = "models/all-minilm-l6-v2"

    /// Settings in force: the request, else the preset's `pipeline` section, else defaults.
    public static func settings(for request: SessionRequest) throws -> SessionSettings {
        // Relative paths (the user's, the preset's, the defaults) are read from the current
        // folder, else from the installation.
        let installed = { (path: String) in path == "none" ? path : Installation.resolve(path) }
        let preset = try StreamingPreset.load(path: Installation.preset(request.preset))
        let section = preset.pipeline
        let model = installed(request.model ?? section?.model ?? defaultModel)
        // A preset's head belongs to the preset's model: with another model, fall back to
        // the encoder-independent fluency head.
        var head = (request.head ?? (request.model == nil ? section?.head : nil)).map(installed) ?? Installation.existing(defaultHead)
        if head == "none" { head = nil }
        // With --head, that head serves read-aloud sessions too unless one is named for them.
        var readAloudHead = (request.readAloudHead ?? (request.head == nil && request.model == nil ? section?.readAloudHead : nil)).map(installed)
            ?? (request.head == nil ? Installation.existing(defaultReadAloudHead) : nil)
        if readAloudHead == "none" { readAloudHead = nil }
        var text = request.textModel.map(installed)
            ?? Installation.existing(defaultTextModel + "/model.safetensors").map { _ in Installation.resolve(defaultTextModel) }
        if text == "none" { text = nil }
        var settings = SessionSettings(
            preset: request.preset, model: model, head: head, readAloudHead: readAloudHead, textModel: text, streaming: preset.streaming,
            endpointMs: request.endpointMs ?? section?.endpointMs ?? 600,
            maxUtteranceSeconds: request.maxUtteranceSeconds ?? 30,
            windowSeconds: request.windowSeconds ?? section?.windowSeconds ?? 30,
            pauseMs: request.pauseMs ?? section?.pauseMs ?? 250,
            textScoringEverySeconds: section?.textScoringEverySeconds ?? 10,
            reference: ReadingReference.text(request.reference),
            threads: request.threads, ringSeconds: request.ringSeconds)
        settings.presetPrecision = section?.precision ?? .fp32
        settings.precision = request.precision ?? settings.presetPrecision
        settings.headsFromPreset = request.head == nil && request.readAloudHead == nil && request.model == nil
        settings.textPrompt = request.textPrompt
        settings.learner = try Learner.name(request.learner)
        return settings
    }

    /// Loads the encoder, vocabulary, head and text model that `settings` name, and checks
    /// that they belong together.
    public static func loadModels(for settings: SessionSettings) throws -> LoadedModels {
        let model = settings.model
        guard FileManager.default.fileExists(atPath: model) else {
            throw SessionSetupError(model == defaultModel
                ? "The default model is not at \(model), here or in an installation (set PROSCORE_HOME to the Proscore checkout, or pass --model DIR with a …ForCTC checkpoint)."
                : "\(model): no such model directory.")
        }
        let loaded = try AudioEncoderLoader.load(path: model, precision: settings.precision.available.precision)
        guard loaded.encoder.ctcHead != nil else {
            throw SessionSetupError("\(model) has no CTC head: scoring needs a …ForCTC checkpoint.")
        }
        let vocabulary = try CTCVocabulary(path: loaded.directory.file("vocab.json"))
        func loadHead(_ path: String) throws -> ProficiencyHead {
            let (h, _, trainedOn) = try HeadFile.read(path: path)
            if trainedOn.featurePath == "offline" {
                throw SessionSetupError("\(path) was trained on offline features (extract --offline), which serving does not compute: "
                                        + "train a head on serving-path features (extract without --offline) to score with it.")
            }
            if let expected = trainedOn.encoderFingerprint, case let actual = CheckpointFingerprint.of(directory: model), expected != actual {
                throw SessionSetupError("\(path) was trained on the features of \(trainedOn.encoder) (fingerprint \(expected)), not of \(model) "
                                        + "(\(actual)): its scores would mean nothing here. Pass --model \(trainedOn.encoder), a head trained "
                                        + "for this model, or --head none.")
            }
            let expected = h.layerColumnCount(hiddenSize: loaded.encoder.config.hiddenSize) + h.extraColumnCount
            if h.layers.contains(where: { $0 > loaded.encoder.config.numHiddenLayers }) || h.regression.featureMean.count != expected {
                throw SessionSetupError("\(path) belongs to another encoder than \(model) (its layers or width do not match); pass --head for this model, or --head none.")
            }
            let unknown = h.extraFeatures.filter { !WindowFeatures.readAloudNames.contains($0) }
            if !unknown.isEmpty { throw SessionSetupError("\(path) reads features this version does not compute: \(unknown.joined(separator: ", ")).") }
            return h
        }
        var head: ProficiencyHead?, readAloudHead: ProficiencyHead?
        var headPath = settings.head, readAloudHeadPath = settings.readAloudHead
        do {
            head = try settings.head.map(loadHead)
            // The free-speech head also scores sessions without a reference, where the
            // read-aloud evidence does not exist.
            if let head, let path = settings.head {
                let needReference = head.extraFeatures.filter { !WindowFeatures.freeSpeechNames.contains($0) }
                if !needReference.isEmpty {
                    throw SessionSetupError("\(path) is a read-aloud head: it reads \(needReference.joined(separator: ", ")), which only a reference gives; "
                                            + "pass it as --read-aloud-head (a preset's read_aloud_head), and a free-speech head (or none) as --head.")
                }
            }
            readAloudHead = try settings.readAloudHead.map(loadHead)
        } catch let error as SessionSetupError where settings.headsFromPreset {
            // The preset's heads belong to another model (the model was replaced): the
            // encoder-independent heads still score; say so.
            FileHandle.standardError.write(Data("notice: \(error.message); using \(defaultHead) and \(defaultReadAloudHead) instead\n".utf8))
            let fallback = Installation.resolve(defaultHead)
            head = try loadHead(fallback)
            headPath = fallback
            readAloudHeadPath = Installation.existing(defaultReadAloudHead)
            readAloudHead = try readAloudHeadPath.map(loadHead)
        }
        var embedder: SentenceEmbedder?
        if let textPath = settings.textModel {
            let bert = try BertLoader.load(path: textPath)
            embedder = SentenceEmbedder(model: bert.model, tokenizer: bert.tokenizer)
        }
        return LoadedModels(encoder: loaded.encoder, vocabulary: vocabulary, head: head, readAloudHead: readAloudHead,
                            headPath: headPath, readAloudHeadPath: readAloudHeadPath, embedder: embedder)
    }

    /// A ready pipeline for one session over shared `models`: the read-aloud head scores when
    /// the settings carry a reference and there is one, else the free-speech head; `scorer`
    /// replaces both (feature capture).
    public static func pipeline(settings: SessionSettings, models: LoadedModels, recorder: SessionRecording?,
                                scorer: ProficiencyScoring? = nil) -> SessionPipeline {
        let head = settings.reference != nil ? (models.readAloudHead ?? models.head) : models.head
        let stages = SessionStages(
            encoder: StreamingEncoder(encoder: models.encoder, settings: settings.streamingSettings),
            decoder: StreamingCTCDecoder(vocabulary: models.vocabulary, endpoint: settings.endpoint),
            vocabulary: models.vocabulary, scorer: scorer ?? head,
            unalignedScorer: scorer == nil && settings.reference != nil ? models.head : nil,
            textScorer: models.embedder.map { BertTextScorer(embedder: $0, referenceText: settings.reference ?? settings.textPrompt) },
            recorder: recorder)
        return SessionPipeline(settings: settings, stages: stages)
    }
}

/// A learner's name as sessions keep it: trimmed, runs of spaces made one, 1–64 characters,
/// no control characters.
public enum Learner {
    /// `text` so kept, nil when empty; throws for a name too long or holding control characters.
    public static func name(_ text: String?) throws -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard trimmed.count <= 64, !trimmed.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw SessionSetupError("the learner's name must be at most 64 characters, without control characters")
        }
        return spaced(trimmed)
    }

    /// What two spellings of one learner share: "José  García", "josé garcía" (and their
    /// decomposed forms) are one learner.
    public static func key(_ name: String) -> String { spaced(name).lowercased().precomposedStringWithCanonicalMapping }

    private static func spaced(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
}
