import Foundation
import ProscoreStore

/// One self-contained HTML page for a stored session, with SVG plots drawn here: scores
/// over time, loudness with pauses marked, the transcript on the same time axis with word
/// confidence, and the settings and model used.
public struct SessionReport {
    struct Word { let text: String; let start: Double; let end: Double; let confidence: Double }
    struct Point { let t: Double; let speechRate: Double; let articulationRate: Double; let phonation: Double; let pausesPerMinute: Double }

    public let html: String

    public init(store: SessionStore, session id: Int64, pauseThresholdSeconds: Double = 0.25) throws {
        let s = try store.session(id)
        let events = try store.events(session: id)
        func object(_ e: SessionEvent) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(e.payload.utf8))) as? [String: Any] ?? [:] }
        var points: [Point] = []
        var energy: [Double] = [], speech: [Bool] = []
        var words: [Word] = []
        var textScores: [[String: Any]] = []
        for e in events {
            let o = object(e)
            switch e.kind {
            case "estimate":
                let w = o["window"] as? [String: Any] ?? [:]
                func d(_ k: String) -> Double { (w[k] as? Double) ?? Double(w[k] as? Int ?? 0) }
                points.append(Point(t: e.audioSeconds, speechRate: d("speech_rate"), articulationRate: d("articulation_rate"),
                                    phonation: d("phonation_time_ratio"), pausesPerMinute: d("silent_pauses_per_minute")))
                let first = o["first_frame"] as? Int ?? energy.count
                let e = (o["frame_energy_db"] as? [Double]) ?? []
                let sp = (o["frame_speech"] as? [Bool]) ?? []
                if first >= energy.count {
                    energy += [Double](repeating: -90, count: first - energy.count) + e
                    speech += [Bool](repeating: false, count: first - speech.count) + sp
                }
            case "word":
                words.append(Word(text: o["text"] as? String ?? "", start: o["start_s"] as? Double ?? 0,
                                  end: o["end_s"] as? Double ?? 0, confidence: o["confidence"] as? Double ?? 0))
            case "text_scores":
                textScores.append(o)
            default: break
            }
        }
        let duration = max(points.last?.t ?? 0, Double(energy.count) * 0.02, 1)
        let pauses = Self.pauses(speech, threshold: pauseThresholdSeconds)
        let summary = s.summary.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let session = summary?["session"] as? [String: Any] ?? [:]

        var body = "<h1>Proscore session \(id)</h1>"
        body += "<p class=meta>\(Self.escape(s.source)) · started \(s.startedAt) · \(s.endedAt == nil ? "<b>interrupted</b>" : "ended \(s.endedAt!)") · \(String(format: "%.1f", duration)) s of audio · \(s.droppedSamples) samples dropped</p>"
        body += "<div class=cards>"
        for (label, key, unit) in [("Speech rate", "speech_rate", "syl/s"), ("Articulation rate", "articulation_rate", "syl/s"),
                                   ("Phonation", "phonation_time_ratio", "%"), ("Silent pauses", "silent_pauses_per_minute", "/min"),
                                   ("Mean pause", "mean_pause_s", "s"), ("Mean length of run", "mean_length_of_run", "syl")] {
            var v = (session[key] as? Double) ?? Double(session[key] as? Int ?? 0)
            if unit == "%" { v *= 100 }
            body += "<div class=card><div class=v>\(String(format: unit == "%" ? "%.0f" : "%.2f", v))<small> \(unit)</small></div><div class=l>\(label)</div></div>"
        }
        body += "</div>"
        body += "<h2>Fluency over time (rolling window)</h2>" + Self.lineChart(
            series: [("speech rate", "#1f77b4", points.map { ($0.t, $0.speechRate) }),
                     ("articulation rate", "#ff7f0e", points.map { ($0.t, $0.articulationRate) })],
            duration: duration, unit: "syllables / s")
        body += Self.lineChart(series: [("silent pauses / min", "#2ca02c", points.map { ($0.t, $0.pausesPerMinute) }),
                                        ("phonation %", "#9467bd", points.map { ($0.t, 100 * $0.phonation) })],
                               duration: duration, unit: "per minute · %")
        body += "<h2>Loudness, with silent pauses marked</h2>" + Self.energyChart(energy, pauses: pauses, duration: duration)
        body += "<h2>Transcript</h2>" + Self.transcriptStrip(words, duration: duration)
        body += "<table><tr><th>word</th><th>start s</th><th>end s</th><th>confidence</th></tr>"
        for w in words {
            body += "<tr><td>\(Self.escape(w.text))</td><td>\(String(format: "%.2f", w.start))</td><td>\(String(format: "%.2f", w.end))</td><td style=\"color:\(Self.confidenceColour(w.confidence))\">\(String(format: "%.2f", w.confidence))</td></tr>"
        }
        body += "</table>"
        if !textScores.isEmpty {
            body += "<h2>Text scores</h2><table><tr><th>span s</th><th>words</th><th>relevance</th><th>coherence</th><th>lexical diversity</th></tr>"
            for t in textScores {
                func f(_ k: String) -> String { (t[k] as? Double).map { String(format: "%.1f", $0) } ?? "—" }
                body += "<tr><td>\(f("start_s"))–\(f("end_s"))</td><td>\(t["words"] ?? "")</td><td>\(f("relevance"))</td><td>\(f("coherence"))</td><td>\(f("lexical_diversity"))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Settings and model</h2><table>"
        body += "<tr><td>model</td><td>\(Self.escape(s.modelPath)) <small>(\(s.modelFingerprint))</small></td></tr>"
        if let settings = (try? JSONSerialization.jsonObject(with: Data(s.configuration.utf8))) as? [String: Any] {
            for (k, v) in settings.sorted(by: { $0.key < $1.key }) { body += "<tr><td>\(Self.escape(k))</td><td>\(Self.escape("\(v)"))</td></tr>" }
        }
        body += "</table>"
        html = """
            <!doctype html><html><head><meta charset="utf-8"><title>Proscore session \(id)</title><style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
            h1{margin:0 0 4px} h2{margin:28px 0 8px;font-size:16px} .meta{color:#666}
            .cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}
            .v{font-size:22px;font-weight:600}.l{color:#666;font-size:12px} table{border-collapse:collapse;margin-top:8px}
            td,th{border-bottom:1px solid #eee;padding:2px 10px;text-align:left} svg{display:block;background:#fafafa;border:1px solid #eee}
            </style></head><body>\(body)</body></html>
            """
    }

    /// Silent runs of at least `threshold` seconds between speech frames, as (start, end) seconds.
    static func pauses(_ speech: [Bool], threshold: Double) -> [(Double, Double)] {
        var result: [(Double, Double)] = []
        var runStart: Int?
        var seenSpeech = false
        for (i, s) in speech.enumerated() {
            if s {
                if let r = runStart, seenSpeech, Double(i - r) * 0.02 >= threshold { result.append((Double(r) * 0.02, Double(i) * 0.02)) }
                runStart = nil
                seenSpeech = true
            } else if runStart == nil {
                runStart = i
            }
        }
        return result
    }

    static let width = 960.0, height = 180.0, left = 48.0, bottom = 24.0

    static func x(_ t: Double, _ duration: Double) -> Double { left + (width - left - 10) * t / duration }

    static func axis(duration: Double, yLabels: [(Double, String)]) -> String {
        var s = ""
        let step = [1.0, 2, 5, 10, 30, 60, 120, 300].first { duration / $0 <= 12 } ?? 600
        var t = 0.0
        while t <= duration + 1e-9 {
            let px = x(t, duration)
            s += "<line x1=\"\(px)\" y1=\"8\" x2=\"\(px)\" y2=\"\(height - bottom)\" stroke=\"#e4e4e4\"/><text x=\"\(px)\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">\(Int(t)) s</text>"
            t += step
        }
        for (y, label) in yLabels { s += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">\(label)</text>" }
        return s
    }

    static func lineChart(series: [(String, String, [(Double, Double)])], duration: Double, unit: String) -> String {
        let maxValue = max(1, series.flatMap { $0.2.map(\.1) }.max() ?? 1) * 1.1
        func y(_ v: Double) -> Double { 8 + (height - bottom - 8) * (1 - v / maxValue) }
        var s = "<svg width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += axis(duration: duration, yLabels: [(y(0), "0"), (y(maxValue / 2), String(format: "%.1f", maxValue / 2)), (y(maxValue), String(format: "%.1f", maxValue))])
        for (i, (name, colour, points)) in series.enumerated() {
            let path = points.map { String(format: "%.1f,%.1f", x($0.0, duration), y($0.1)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>"
            s += "<rect x=\"\(left + 10 + Double(i) * 180)\" y=\"12\" width=\"12\" height=\"3\" fill=\"\(colour)\"/><text x=\"\(left + 26 + Double(i) * 180)\" y=\"17\" font-size=\"12\">\(name)</text>"
        }
        s += "<text x=\"\(width - 12)\" y=\"17\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">\(unit)</text></svg>"
        return s
    }

    static func energyChart(_ energy: [Double], pauses: [(Double, Double)], duration: Double) -> String {
        func y(_ db: Double) -> Double { 8 + (height - bottom - 8) * (1 - (max(-80, min(0, db)) + 80) / 80) }
        var s = "<svg width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (a, b) in pauses {
            s += "<rect x=\"\(x(a, duration))\" y=\"8\" width=\"\(max(1, x(b, duration) - x(a, duration)))\" height=\"\(height - bottom - 8)\" fill=\"#f4b6b6\" opacity=\"0.6\"/>"
        }
        s += axis(duration: duration, yLabels: [(y(0), "0 dB"), (y(-40), "-40"), (y(-80), "-80")])
        let path = energy.enumerated().map { String(format: "%.1f,%.1f", x(Double($0.offset) * 0.02, duration), y($0.element)) }.joined(separator: " ")
        s += "<polyline fill=\"none\" stroke=\"#444\" stroke-width=\"1\" points=\"\(path)\"/>"
        s += "<text x=\"\(width - 12)\" y=\"17\" font-size=\"11\" text-anchor=\"end\" fill=\"#a33\">\(pauses.count) silent pauses shaded</text></svg>"
        return s
    }

    static func transcriptStrip(_ words: [Word], duration: Double) -> String {
        let h = 70.0
        var s = "<svg width=\"\(width)\" height=\"\(h)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, w) in words.enumerated() {
            let x0 = x(w.start, duration), x1 = max(x0 + 2, x(w.end, duration))
            let row = Double(i % 2)
            s += "<rect x=\"\(x0)\" y=\"\(8 + row * 26)\" width=\"\(x1 - x0)\" height=\"22\" fill=\"\(confidenceColour(w.confidence))\" opacity=\"0.35\"/>"
            s += "<text x=\"\(x0 + 2)\" y=\"\(24 + row * 26)\" font-size=\"11\">\(escape(w.text))</text>"
        }
        return s + "</svg>"
    }

    static func confidenceColour(_ c: Double) -> String { c >= 0.8 ? "#2a8a2a" : c >= 0.5 ? "#c08000" : "#c03030" }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
