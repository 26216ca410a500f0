import Foundation
import ProscorePipeline
import ProscoreScoring

/// The `score` command's output for one file, shared with `serve`'s `POST /v1/score`:
/// One scored recording as a CSV row or a JSON line.
public enum ScoreRow {
    public static let measureNames = ["speech_rate", "articulation_rate", "phonation_time_ratio", "silent_pauses_per_minute", "nuclei_rate",
                               "mid_pauses_per_minute", "between_pauses_per_minute", "f0_range_st"]
    public static let csvHeader = (["id", "file", "speaker", "duration_s", "words"] + ProficiencyScores.names
        + ["unscored_reason", "completeness", "likely_mispronounced", "not_reached", "transcript", "reference"] + measureNames + ["rtf", "error"]).joined(separator: ",")

    public static func measures(_ s: SessionSummary) -> [String: Double] {
        var m = s.session?.named ?? [:]
        if let signal = s.signal { m.merge(signal.named) { a, _ in a } }
        return m
    }

    public static func csv(_ r: ScoredFile) -> String {
        func quote(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        func f(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "" }
        let s = r.summary
        let m = s.map(measures) ?? [:]
        var cells = [quote(r.entry.id), quote(r.entry.audio), quote(r.entry.speaker ?? ""), f(r.durationSeconds), s.map { String($0.words) } ?? ""]
        cells += ProficiencyScores.names.map { f(s?.scores?[$0]) }
        cells += [quote(s?.unscoredReason ?? ""), f(s?.completeness), quote(s?.readAloud?.likelyMispronounced.joined(separator: " ") ?? ""),
                  quote(s?.readAloud?.notReached.joined(separator: " ") ?? ""),
                  quote(s?.transcript ?? ""), quote(r.reference ?? "")]
        cells += measureNames.map { f(m[$0]) }
        cells += [f(s?.realTimeFactor), quote(r.error ?? "")]
        return cells.joined(separator: ",")
    }

    public static func json(_ r: ScoredFile) -> String {
        var object: [String: Any] = ["id": r.entry.id, "file": r.entry.audio]
        if let speaker = r.entry.speaker { object["speaker"] = speaker }
        if let d = r.durationSeconds { object["duration_s"] = d }
        if let error = r.error { object["error"] = error }
        if let reference = r.reference { object["reference"] = reference }
        if let s = r.summary {
            object["words"] = s.words
            object["transcript"] = s.transcript
            if let scores = s.scores { object["scores"] = Dictionary(uniqueKeysWithValues: scores.present.map { ($0.name, $0.value) }) }
            if let why = s.unscoredReason { object["unscored_reason"] = why }
            if let c = s.completeness { object["completeness"] = c }
            if let ra = s.readAloud {
                object["likely_mispronounced"] = ra.likelyMispronounced
                object["not_reached"] = ra.notReached
            }
            object["measures"] = measures(s)
            object["rtf"] = s.realTimeFactor
        }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
    }
}
