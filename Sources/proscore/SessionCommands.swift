import ArgumentParser
import Foundation
import ProscoreAudio
import ProscoreModels
import ProscorePipeline
import ProscoreStore

/// Options shared by `live` and `replay`: what to score with, and how to show it.
struct PipelineOptions: ParsableArguments {
    @OptionGroup var scoring: ScoringModelOptions
    @Option(help: "BERT model for text scores (default \(SessionBuilder.defaultTextModel) when present; none to switch off).")
    var textModel: String?
    @Option(help: "Trailing silence that ends an utterance, in ms (default: the preset's, else 600).") var endpointMs: Int?
    @Option(help: "Longest utterance before it is cut at a word boundary, in seconds (default 30).") var maxUtteranceSeconds: Double?
    @Option(help: "The text being read aloud: adds completeness and omitted/inserted words.") var reference: String?
    @Option(help: "Rolling window for the fluency measures, in seconds (default: the preset's, else 30).") var windowSeconds: Double?
    @Option(help: "Silence that counts as a pause, in ms (default: the preset's, else 250).") var pauseMs: Int?
    @Option(help: "Who is speaking: the session is kept under this name, and `sessions list --learner NAME` lists a learner's sessions to follow their progress.")
    var learner: String?
    @Flag(help: "JSON lines on stdout (one event a line) instead of the text view.") var json = false
    @OptionGroup var store: StoreOptions
    @Flag(help: "Do not record the session.") var noStore = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let endpointMs, !(100...10_000).contains(endpointMs) { throw ValidationError("--endpoint-ms must be 100–10000.") }
        if let maxUtteranceSeconds, !(2...600).contains(maxUtteranceSeconds) { throw ValidationError("--max-utterance-seconds must be 2–600.") }
        if let windowSeconds, !(5...600).contains(windowSeconds) { throw ValidationError("--window-seconds must be 5–600.") }
        if let pauseMs, !(50...5_000).contains(pauseMs) { throw ValidationError("--pause-ms must be 50–5000.") }
        if noStore && store.store != nil { throw ValidationError("Give --store or --no-store, not both.") }
        try ScoringModelOptions.checkReference(reference)
        scoring.noteReadingsHead(readings: reference != nil)
        do { _ = try Learner.name(learner) } catch let error as SessionSetupError { throw ValidationError("--learner: \(error.message).") }
    }

    func request(ringSeconds: Double) -> SessionRequest {
        var r = SessionRequest()
        scoring.fill(&r)
        r.textModel = textModel
        r.endpointMs = endpointMs
        r.maxUtteranceSeconds = maxUtteranceSeconds
        r.windowSeconds = windowSeconds
        r.pauseMs = pauseMs
        r.reference = reference
        r.learner = learner
        r.ringSeconds = ringSeconds
        return r
    }

    /// Sets up, opens the source, runs the session and prints it. Signals are trapped
    /// before anything is opened; the session record is created only once audio flows.
    func runSession(ringSeconds: Double, makeSource: () throws -> AudioSource) throws {
        let trap = SignalTrap()
        defer { trap.cancel() }
        let (settings, models) = try compute.session(request(ringSeconds: ringSeconds))
        let sessions = noStore ? nil : try store.open()
        let recorder = try sessions.map { try StoreSessionRecorder(store: $0, settings: settings) }
        let pipeline = SessionBuilder.pipeline(settings: settings, models: models, recorder: recorder)
        trap.onStop { pipeline.stop() }
        if trap.stopRequested { throw SessionError.stoppedBeforeStart }
        let source = try makeSource()
        var printer = SessionPrinter(json: json, title: "Proscore · \(source.name)", storePath: sessions?.location,
                                     durationHint: (source as? RecordingSource)?.durationSeconds)
        try pipeline.run(source: source) { printer.show($0) }
        if let warning = source.statistics.warning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        if case let .failed(reason)? = printer.outcome { throw SessionSetupError("the session failed: \(reason)") }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay a recording as a live stream through the whole pipeline.",
        discussion: "Ctrl-C or SIGTERM stops the replay; what was heard is scored and the session is kept as stopped.")
    @Argument(help: "Recording (any format libsndfile reads).") var file: String
    @OptionGroup var replay: ReplayOptions
    @OptionGroup var stream: StreamOptions
    @OptionGroup var pipeline: PipelineOptions

    func run() throws {
        try pipeline.runSession(ringSeconds: stream.ringSeconds) { try replay.recording(file, stream: stream) }
    }
}

struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live", abstract: "Score live speech from an ALSA capture device; Ctrl-C ends the session.")
    @OptionGroup var capture: CaptureOptions
    @OptionGroup var stream: StreamOptions
    @OptionGroup var pipeline: PipelineOptions

    func run() throws {
        try pipeline.runSession(ringSeconds: stream.ringSeconds) { try capture.capture(stream: stream) }
    }
}
