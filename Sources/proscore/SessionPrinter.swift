import Foundation
import ProscoreModels
import ProscorePipeline
import ProscoreStore

/// Shows a session's events: JSON lines, the redrawn terminal view, or plain lines when
/// stdout is not a terminal (with progress on stderr for recordings of known length).
struct SessionPrinter {
    let json: Bool
    let storePath: String?
    let durationHint: Double?
    private let terminal = isatty(1) != 0
    private var view: TerminalView
    private var last: Estimate?
    /// The latest live chunk's emit latency, for the view's header after the stream ends.
    private var liveLatencyMs: Double?
    private var nextProgress = 0.1
    private(set) var outcome: SessionOutcome?

    init(json: Bool, title: String, storePath: String?, durationHint: Double?) {
        self.json = json
        self.storePath = storePath
        self.durationHint = durationHint
        view = TerminalView(title: title)
    }

    mutating func show(_ event: PipelineEvent) {
        if case let .ended(o, _) = event { outcome = o }
        if json { printJSON(event); return }
        switch event {
        case let .started(id):
            if let id, let storePath { FileHandle.standardError.write(Data("session \(id) (\(storePath))\n".utf8)) }
        case let .estimate(e) where terminal:
            last = e
            if e.emitLatencyMs > 0 { liveLatencyMs = e.emitLatencyMs }
            print(view.render(e, latencyMs: liveLatencyMs), terminator: "")
            fflush(nil)
        case let .utterance(u) where terminal:
            view.add(utterance: u)
        case let .textScores(t) where terminal:
            view.add(textScores: t)
        case let .estimate(e):
            last = e
            reportProgress(e.audioSeconds)
        case let .utterance(u):
            print(String(format: "[%6.2f–%6.2f s] ", u.startSeconds, u.endSeconds) + u.text)
        case let .textScores(t):
            var line = String(format: "text %.1f–%.1f s: ", t.startSeconds, t.endSeconds) + TextScores.diversityText(t)
            if let r = t.relevance { line += String(format: ", relevance %.1f", r) }
            if let c = t.coherence { line += String(format: ", coherence %.1f", c) }
            print(line)
        case .words:
            break
        case let .ended(outcome, summary):
            if terminal { print("") }
            printSummary(outcome, summary)
        }
    }

    /// Progress on stderr at every tenth of a recording of known length, when stdout is
    /// not a terminal (a terminal shows the live view instead).
    private mutating func reportProgress(_ seconds: Double) {
        guard let total = durationHint, total >= 20, isatty(2) == 0 || !terminal else { return }
        while seconds >= nextProgress * total && nextProgress < 1 {
            FileHandle.standardError.write(Data(String(format: "progress: %.1f of %.1f s (%.0f%%)\n", seconds, total, 100 * nextProgress).utf8))
            nextProgress += 0.1
        }
    }

    private func printSummary(_ outcome: SessionOutcome, _ s: SessionSummary) {
        let status: String
        switch outcome {
        case .complete: status = "complete"
        case .stopped: status = "stopped by the user"
        case let .interrupted(reason): status = "interrupted: \(reason)"
        case let .failed(reason): status = "failed: \(reason)"
        }
        var line = String(format: "session (%@): %.1f s, %ld words", status, s.audioSeconds, s.words)
        if let m = s.session {
            line += String(format: ", speech rate %.2f syl/s, articulation rate %.2f syl/s, phonation %.0f%%, %.1f silent pauses/min (mean %.2f s), %.1f filled pauses/min",
                           m.speechRate, m.articulationRate, 100 * m.phonationTimeRatio, m.silentPausesPerMinute, m.meanPauseSeconds, m.filledPausesPerMinute)
        }
        line += String(format: ", RTF %.2f, %ld samples dropped", s.realTimeFactor, s.droppedSamples)
        print(line)
        if let scores = s.scores {
            print("scores (0–10, speechocean762 scale; 10 = native-like): "
                  + scores.present.map { String(format: "%@ %.1f", $0.name, $0.value) }.joined(separator: ", "))
        } else if let why = s.unscoredReason {
            print("no proficiency scores: \(why)")
        }
        if let c = s.completeness { print(String(format: "completeness %.1f of 10 (reference words found in the transcript)", c)) }
        if let words = s.readAloud?.likelyMispronounced, !words.isEmpty { print("likely mispronounced: " + words.joined(separator: ", ")) }
        if let words = s.readAloud?.notReached, !words.isEmpty { print("not reached (the reading stopped before them): " + words.joined(separator: ", ")) }
    }

    private func printJSON(_ event: PipelineEvent) {
        print(EventJSON.line(event, storePath: storePath))
        fflush(nil)
    }
}

extension TextScores {
    /// "lexical diversity 7.3", or why there is none.
    static func diversityText(_ t: TextScores) -> String {
        t.lexicalDiversity.map { String(format: "lexical diversity %.1f", $0) }
            ?? "lexical diversity — (under \(TextScores.minimumWordsForDiversity) words)"
    }
}
