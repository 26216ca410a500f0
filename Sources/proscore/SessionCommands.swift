import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreFeatures
import ProscoreModels
import ProscorePipeline
import ProscoreScoring
import ProscoreStore

/// Options shared by `live` and `replay`: the model and how to stream it.
struct PipelineOptions: ParsableArguments {
    static let defaultModel = "models/proscore-small-ctc"
    static let defaultHead = "configs/heads/fluency.json"
    static let defaultTextModel = "models/all-minilm-l6-v2"

    @Option(help: "CTC checkpoint directory (default: the preset's, else \(PipelineOptions.defaultModel)).") var model: String?
    @Option(help: "Preset: streaming window, and optionally model, head and score settings (configs/*.json).") var preset: String = "configs/balanced.json"
    @Option(help: "Proficiency head for rolling scores (default \(PipelineOptions.defaultHead) when present; none to switch off).")
    var head: String?
    @Option(help: "BERT model for text scores (default \(PipelineOptions.defaultTextModel) when present; none to switch off).")
    var textModel: String?
    @Option(help: "Trailing silence that ends an utterance, in ms (default 600).") var endpointMs: Int?
    @Option(help: "The text being read aloud: adds completeness and omitted/inserted words.") var reference: String?
    @Option(help: "Rolling window for the fluency measures, in seconds (default 30).") var windowSeconds: Double?
    @Option(help: "Silence that counts as a pause, in ms (default 250).") var pauseMs: Int?
    @Flag(help: "JSON lines on stdout (one event a line) instead of the text view.") var json = false
    @Option(help: "Session store (SQLite); default $PROSCORE_STORE or $XDG_DATA_HOME/proscore/sessions.sqlite.") var store: String?
    @Flag(help: "Do not record the session.") var noStore = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let endpointMs, !(100...10_000).contains(endpointMs) { throw ValidationError("--endpoint-ms must be 100–10000.") }
        if let windowSeconds, !(5...600).contains(windowSeconds) { throw ValidationError("--window-seconds must be 5–600.") }
        if let pauseMs, !(50...5_000).contains(pauseMs) { throw ValidationError("--pause-ms must be 50–5000.") }
    }

    /// Settings in force: command line, else the preset's `pipeline` section, else defaults.
    struct Resolved {
        var model: String, head: String?, endpointMs: Int, windowSeconds: Double, pauseMs: Int
    }

    func resolve(_ p: StreamingPreset) -> Resolved {
        let section = p.pipeline
        return Resolved(model: model ?? section?.model ?? Self.defaultModel,
                        // A preset's head belongs to the preset's model: with another --model, fall back to the
                        // encoder-independent fluency head.
                        head: head ?? (model == nil ? section?.head : nil)
                            ?? (FileManager.default.fileExists(atPath: Self.defaultHead) ? Self.defaultHead : nil),
                        endpointMs: endpointMs ?? section?.endpointMs ?? 600,
                        windowSeconds: windowSeconds ?? section?.windowSeconds ?? 30,
                        pauseMs: pauseMs ?? section?.pauseMs ?? 250)
    }

    func makePipeline() throws -> SessionPipeline {
        compute.apply()
        let presetFile = try StreamingPreset.load(path: preset)
        let settings = resolve(presetFile)
        let model = settings.model
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError(model == Self.defaultModel
                ? "The default model is not at \(model) (run from the repository, or pass --model DIR with a …ForCTC checkpoint)."
                : "\(model): no such model directory.")
        }
        let loaded = try AudioEncoderLoader.load(path: model)
        guard loaded.encoder.ctcHead != nil else { throw ValidationError("\(model) has no CTC head: scoring needs a …ForCTC checkpoint.") }
        var configuration = PipelineConfiguration(
            encoder: loaded.encoder, vocabulary: try CTCVocabulary(path: loaded.directory.file("vocab.json")),
            streaming: presetFile.settings)
        configuration.endpoint = EndpointSettings(trailingSilenceMs: settings.endpointMs)
        configuration.windowSeconds = settings.windowSeconds
        configuration.pauseThresholdSeconds = Double(settings.pauseMs) / 1000
        configuration.referenceText = reference
        if let headPath = settings.head, headPath != "none" {
            let loadedHead = try HeadFile.read(path: headPath).head
            let expected = (loadedHead.layers.isEmpty ? 0 : loaded.encoder.config.hiddenSize) + loadedHead.extraFeatures.count
            if loadedHead.layers.contains(where: { $0 > loaded.encoder.config.numHiddenLayers })
                || loadedHead.regression.featureMean.count != expected {
                throw ValidationError("\(headPath) belongs to another encoder than \(model) (its layers or width do not match); pass --head for this model, or --head none.")
            }
            configuration.head = loadedHead
        }
        configuration.modelPath = model
        configuration.headPath = configuration.head == nil ? nil : settings.head
        var scorer: TextScoring?
        let textPath = textModel ?? (FileManager.default.fileExists(atPath: Self.defaultTextModel + "/model.safetensors") ? Self.defaultTextModel : nil)
        if let textPath, textPath != "none" {
            let bert = try BertLoader.load(path: textPath)
            scorer = BertTextScorer(embedder: SentenceEmbedder(model: bert.model, tokenizer: bert.tokenizer), referenceText: reference)
        }
        return SessionPipeline(configuration: configuration, textScorer: scorer,
                               textScoringEverySeconds: presetFile.pipeline?.textScoringEverySeconds ?? 10)
    }

    /// Runs the pipeline on `source`, printing events and committing each to the session
    /// store as it comes; Ctrl-C stops the source cleanly and the session is closed.
    func run(_ pipeline: SessionPipeline, source: AudioSource) throws {
        let sessions = noStore ? nil : try SessionStore(path: store ?? SessionStore.defaultPath)
        let settings = pipeline.configuration.streaming
        let configurationJSON = String(decoding: try JSONEncoder().encode([
            "preset": preset, "chunk_frames": "\(settings.chunkFrames)", "left_context_frames": "\(settings.leftContextFrames)",
            "lookahead_frames": "\(settings.lookaheadFrames)", "reuse_left_context": "\(settings.reuseLeftContext)",
            "endpoint_ms": "\(pipeline.configuration.endpoint.trailingSilenceMs)", "window_s": "\(pipeline.configuration.windowSeconds)",
            "pause_ms": "\(Int(pipeline.configuration.pauseThresholdSeconds * 1000))", "threads": "\(compute.threads)",
            "head": pipeline.configuration.headPath ?? "none", "reference": reference ?? "",
        ]), as: UTF8.self)
        let sessionId = try sessions?.begin(source: source.name, modelPath: pipeline.configuration.modelPath, configuration: configurationJSON)
        if let sessionId, !json { FileHandle.standardError.write(Data("session \(sessionId) (\(sessions!.path))\n".utf8)) }
        func record(_ kind: String, _ seconds: Double, _ payload: some Encodable, dropped: Int? = nil) {
            guard let sessions, let sessionId else { return }
            do { try sessions.append(session: sessionId, kind: kind, audioSeconds: seconds, payload: payload, droppedSamples: dropped) } catch {
                FileHandle.standardError.write(Data("warning: could not record the \(kind): \(error)\n".utf8))
            }
        }
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { source.stop() }
        interrupt.resume()
        defer { interrupt.cancel() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var last: Estimate?
        let terminal = isatty(1) != 0
        var view = TerminalView(title: "Proscore · \(source.name)")
        let words = try pipeline.run(source: source) { event in
            switch event {
            case let .estimate(e): record("estimate", e.audioSeconds, e, dropped: e.droppedSamples)
            case let .words(w): for word in w { record("word", word.endSeconds, word) }
            case let .utterance(u): record("utterance", u.endSeconds, u)
            case let .textScores(t): record("text_scores", t.endSeconds, t)
            }
            if json {
                let line: String
                switch event {
                case let .estimate(e): line = #"{"estimate":"# + String(decoding: try! encoder.encode(e), as: UTF8.self) + "}"
                case let .words(w): line = #"{"words":"# + String(decoding: try! encoder.encode(w), as: UTF8.self) + "}"
                case let .utterance(u): line = #"{"utterance":"# + String(decoding: try! encoder.encode(u), as: UTF8.self) + "}"
                case let .textScores(s): line = #"{"text_scores":"# + String(decoding: try! encoder.encode(s), as: UTF8.self) + "}"
                }
                print(line)
                fflush(nil)
                return
            }
            switch event {
            case let .estimate(e) where terminal:
                last = e
                print(view.render(e), terminator: "")
                fflush(nil)
            case let .utterance(u) where terminal:
                view.add(utterance: u)
            case let .textScores(t) where terminal:
                view.add(textScores: t)
            case let .estimate(e):
                last = e
                var status = String(format: "%6.1f s  rate %.2f syl/s  articulation %.2f  pauses %.1f/min  phonation %.0f%%  RTF %.2f  latency %.0f ms  dropped %d",
                                    e.audioSeconds, e.window.speechRate, e.window.articulationRate, e.window.silentPausesPerMinute,
                                    100 * e.window.phonationTimeRatio, e.realTimeFactor, e.emitLatencyMs, e.droppedSamples)
                if let c = e.completeness { status += String(format: "  completeness %.1f", c) }
                if let s = e.scores {
                    status += String(format: "  fluency %.1f  total %.1f", s["fluency"] ?? 0, s["total"] ?? 0)
                }
                if terminal { print("\r\u{1B}[2K" + status + "  " + e.partialTranscript.suffix(40), terminator: ""); fflush(nil) }
            case let .utterance(u):
                print((terminal ? "\r\u{1B}[2K" : "") + String(format: "[%6.2f–%6.2f s] ", u.startSeconds, u.endSeconds) + u.text)
            case let .textScores(t):
                var line = String(format: "text %.1f–%.1f s: lexical diversity %.1f", t.startSeconds, t.endSeconds, t.lexicalDiversity)
                if let r = t.relevance { line += String(format: ", relevance %.1f", r) }
                if let c = t.coherence { line += String(format: ", coherence %.1f", c) }
                print((terminal ? "\r\u{1B}[2K" : "") + line)
            case .words:
                break
            }
        }
        if let sessions, let sessionId {
            let summary = SessionSummary(audioSeconds: last?.audioSeconds ?? 0, words: words.count,
                                         transcript: words.map(\.text).joined(separator: " "),
                                         session: last?.session, realTimeFactor: last?.realTimeFactor ?? 0,
                                         droppedSamples: last?.droppedSamples ?? 0)
            try sessions.end(session: sessionId, summary: summary, droppedSamples: summary.droppedSamples)
        }
        guard !json else { return }
        if terminal { print("") }
        if let e = last {
            print(String(format: "session: %.1f s, %d words, speech rate %.2f syl/s, articulation rate %.2f syl/s, phonation %.0f%%, %.1f silent pauses/min (mean %.2f s), %.1f filled pauses/min, RTF %.2f, %d samples dropped",
                         e.audioSeconds, words.count, e.session.speechRate, e.session.articulationRate, 100 * e.session.phonationTimeRatio,
                         e.session.silentPausesPerMinute, e.session.meanPauseSeconds, e.session.filledPausesPerMinute,
                         e.realTimeFactor, e.droppedSamples))
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay a recording as a live stream through the whole pipeline.")
    @Argument(help: "Recording (any format libsndfile reads).") var file: String
    @Option(help: "1 = real time, 4 = four times faster, max = as fast as the pipeline takes it.") var speed: ReplaySpeed = .paced(factor: 1)
    @Option(help: "Start this many seconds in.") var offset: Double = 0
    @Option(help: "Replay at most this many seconds.") var duration: Double?
    @OptionGroup var pipeline: PipelineOptions

    func run() throws {
        let p = try pipeline.makePipeline()
        try pipeline.run(p, source: try RecordingSource(path: file, speed: speed, offsetSeconds: offset, durationSeconds: duration))
    }
}

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live", abstract: "Score live speech from an ALSA capture device; Ctrl-C ends the session.")
    @Option(help: "ALSA capture device (see proscore devices).") var device: String = "default"
    @Option(help: "File with extra ALSA configuration defining PCMs.") var alsaConfig: String?
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @OptionGroup var pipeline: PipelineOptions

    func run() throws {
        let p = try pipeline.makePipeline()
        var settings = AlsaCaptureSettings(device: device)
        if let alsaConfig { settings.configurationText = try String(contentsOfFile: alsaConfig, encoding: .utf8) }
        let source = AlsaCaptureSource(settings: settings)
        if let duration { source.frameLimit = Int(duration * Double(settings.sampleRate)) }
        try pipeline.run(p, source: source)
    }
}

/// What a session's record ends with.
struct SessionSummary: Codable {
    var audioSeconds: Double
    var words: Int
    var transcript: String
    var session: ProscoreScoring.FluencyMeasures?
    var realTimeFactor: Double
    var droppedSamples: Int

    enum CodingKeys: String, CodingKey {
        case words, transcript, session
        case audioSeconds = "audio_s", realTimeFactor = "rtf", droppedSamples = "dropped_samples"
    }
}
