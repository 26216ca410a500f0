import Foundation
import ProscorePipeline
import ProscoreModels

/// The live view on a terminal: redrawn in place after every estimate.
struct TerminalView {
    let title: String
    private(set) var utterances: [String] = []
    private(set) var textLine = ""

    init(title: String) { self.title = title }

    mutating func add(utterance: Utterance) { utterances.append(utterance.text) }

    mutating func add(textScores t: TextScores) {
        textLine = String(format: "text (%.0f–%.0f s): ", t.startSeconds, t.endSeconds) + TextScores.diversityText(t)
            + (t.relevance.map { String(format: ", relevance %.1f", $0) } ?? "")
            + (t.coherence.map { String(format: ", coherence %.1f", $0) } ?? "")
    }

    /// The screen for estimate `e`, `width` columns wide; `latencyMs` is the latest live
    /// chunk's emit latency (the last estimate, made at the end of the stream, has none).
    func render(_ e: Estimate, latencyMs: Double? = nil, width: Int = 80) -> String {
        func bar(_ value: Double, _ scale: Double = 10) -> String {
            let cells = 30, filled = max(0, min(cells, Int((value / scale * Double(cells)).rounded())))
            return String(repeating: "█", count: filled) + String(repeating: "░", count: cells - filled)
        }
        var lines = [String(format: "%@   %.1f s   RTF %.2f   latency %.0f ms   dropped %ld samples",
                            title, e.audioSeconds, e.realTimeFactor, latencyMs ?? e.emitLatencyMs, e.droppedSamples), ""]
        if let scores = e.scores {
            for name in ProficiencyScores.names {
                if let v = scores[name] { lines.append(name.padding(toLength: 10, withPad: " ", startingAt: 0) + bar(v) + String(format: " %4.1f", v)) }
            }
        } else if let why = e.unscoredReason {
            lines.append("no scores: \(why)")
        } else {
            lines.append("(no proficiency head: rolling measures only)")
        }
        if let c = e.completeness { lines.append("complete".padding(toLength: 10, withPad: " ", startingAt: 0) + bar(c) + String(format: " %4.1f", c)) }
        let w = e.window
        lines += ["", String(format: "last %.0f s: %.2f syl/s, articulation %.2f syl/s, phonation %.0f%%, %.1f pauses/min (mean %.2f s), %.1f filled/min",
                             w.endSeconds - w.startSeconds, w.speechRate, w.articulationRate, 100 * w.phonationTimeRatio,
                             w.silentPausesPerMinute, w.meanPauseSeconds, w.filledPausesPerMinute)]
        if !textLine.isEmpty { lines.append(textLine) }
        if let words = e.readAloud?.likelyMispronounced, !words.isEmpty {
            lines.append("likely mispronounced: " + words.suffix(8).joined(separator: ", "))
        }
        lines.append("")
        for u in utterances.suffix(4) { lines.append("  " + String(u.prefix(width - 2))) }
        lines.append("▸ " + String(e.partialTranscript.suffix(width - 2)))
        return "\u{1B}[H\u{1B}[J" + lines.joined(separator: "\n") + "\n"
    }
}
