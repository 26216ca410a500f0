import Foundation
import ProscoreModels
import ProscorePipeline
import ProscoreScoring
import ProscoreStore
import ProscoreUnits

/// One self-contained HTML page for a stored session, with SVG plots drawn here: scores
/// over time, loudness with pauses marked, the transcript on the same time axis with word
/// confidence, and the settings and model used.
public struct SessionReport {
    struct Word { let text: String; let start: Double; let end: Double; let confidence: Double }
    struct Point { let t: Double; let speechRate: Double; let articulationRate: Double; let phonation: Double; let pausesPerMinute: Double }

    public let html: String

    public init(store: any SessionStore, session id: Int64, pauseThresholdSeconds: Double = 0.25) throws {
        let s = try store.session(id)
        var points: [Point] = []
        var scorePoints: [(t: Double, scores: ProficiencyScores)] = []
        var energy: [Double] = [], speech: [Bool] = []
        var lastEstimate: Estimate?
        for e in try store.events(session: id, kind: .estimate) {
            let estimate = try e.decode(Estimate.self)
            lastEstimate = estimate
            let w = estimate.window
            points.append(Point(t: estimate.audioSeconds, speechRate: w.speechRate, articulationRate: w.articulationRate,
                                phonation: w.phonationTimeRatio, pausesPerMinute: w.silentPausesPerMinute))
            if let scores = estimate.scores { scorePoints.append((estimate.audioSeconds, scores)) }
            if estimate.firstFrame >= energy.count {
                energy += [Double](repeating: -90, count: estimate.firstFrame - energy.count) + estimate.frameEnergyDb.map(Double.init)
                speech += [Bool](repeating: false, count: estimate.firstFrame - speech.count) + estimate.frameSpeech
            }
        }
        let transcribed = try store.events(session: id, kind: .word).map { try $0.decode(TranscribedWord.self) }
        let words = transcribed.map { Word(text: $0.text, start: $0.startSeconds, end: $0.endSeconds, confidence: $0.confidence) }
        let textScores = try store.events(session: id, kind: .textScores).map { try $0.decode(TextScores.self) }
        let frameSeconds = FrameGeometry.frameSeconds
        let duration = max(points.last?.t ?? 0, Double(energy.count) * frameSeconds, 1)
        // A session that never ended (killed) has no summary: use what was stored.
        let summary = try s.summary.map { try JSONDecoder().decode(SessionSummary.self, from: Data($0.utf8)) }
            ?? SessionSummary(audioSeconds: lastEstimate?.audioSeconds ?? 0, words: transcribed, last: lastEstimate)
        // The pauses as the session's last estimate decided its frames; else as each chunk was decided live.
        let pauses = summary.silentPauses?.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            ?? SilentPauses.find(in: speech, thresholdSeconds: pauseThresholdSeconds)
                .map { (Double($0.lowerBound) * frameSeconds, Double($0.upperBound) * frameSeconds) }
        let session = summary.session

        var body = "<h1>Proscore session \(id)</h1>"
        let status = s.status
        body += "<p class=meta>\(Self.escape(s.source)) · started \(s.startedAt) · <b>\(status.rawValue)</b>\(s.error.map { " (" + Self.escape($0) + ")" } ?? "")\(s.endedAt.map { " · ended \($0)" } ?? "") · \(String(format: "%.1f", duration)) s of audio · \(s.droppedSamples) samples dropped</p>"
        body += "<h2>Proficiency (0–10, the speechocean762 scale: 10 is native-like)</h2><div class=cards>"
        if let scores = summary.scores {
            for (name, value) in scores.present {
                body += "<div class=card><div class=v>\(String(format: "%.1f", value))<small> / 10</small></div><div class=l>\(name)</div></div>"
            }
        } else {
            body += "<div class=card><div class=v>—</div><div class=l>\(Self.escape(summary.unscoredReason ?? "no proficiency head"))</div></div>"
        }
        if let c = summary.completeness {
            body += "<div class=card><div class=v>\(String(format: "%.1f", c))<small> / 10</small></div><div class=l>completeness (reference words found in the transcript)</div></div>"
        }
        body += "</div>"
        if let readAloud = summary.readAloud {
            body += "<h2>Read aloud</h2><p>" + String(format: "%.0f%% of the reference's words found in the transcript; mean goodness of pronunciation %.2f nats per frame (0: the model heard exactly the reference there; words under %.1f are listed below).",
                                                     100 * readAloud.completeness, readAloud.meanWordGOP, ReadAloudEvidence.gopThreshold) + "</p>"
            body += "<p><small>Completeness and the transcript come from the recogniser; the default one still misses about half the characters of learners' speech, so a word not found may have been read. The accuracy score reads the forced alignment of the whole reference, not only the words found.</small></p>"
            body += readAloud.likelyMispronounced.isEmpty ? "<p>No word stands out as mispronounced.</p>"
                : "<p>Likely mispronounced: " + readAloud.likelyMispronounced.map { "<b class=bad>\(Self.escape($0))</b>" }.joined(separator: ", ") + "</p>"
            if !readAloud.notReached.isEmpty {
                body += "<p>Not reached (the reading stopped before them): " + readAloud.notReached.map { Self.escape($0) }.joined(separator: ", ") + "</p>"
            }
        }
        body += "<h2>Fluency measures (whole session)</h2><div class=cards>"
        let measures: [(String, Double?, String, String)] = [
            ("Speech rate", session?.speechRate, "syl/s", "%.2f"), ("Articulation rate", session?.articulationRate, "syl/s", "%.2f"),
            ("Phonation", session.map { 100 * $0.phonationTimeRatio }, "%", "%.0f"),
            ("Silent pauses", session?.silentPausesPerMinute, "/min", "%.2f"), ("Mean pause", session?.meanPauseSeconds, "s", "%.2f"),
            ("Mean length of run", session?.meanLengthOfRun, "syl", "%.2f"),
        ]
        for (label, value, unit, format) in measures {
            body += "<div class=card><div class=v>\(value.map { String(format: format, $0) } ?? "—")<small> \(unit)</small></div><div class=l>\(label)</div></div>"
        }
        body += "</div>"
        if !scorePoints.isEmpty {
            let colours = ["accuracy": "#1f77b4", "fluency": "#2ca02c", "prosodic": "#9467bd", "total": "#d62728"]
            body += "<h2>Scores over time (rolling window, 0–10)</h2>" + Self.lineChart(
                series: ProficiencyScores.names.compactMap { name in
                    let series = scorePoints.compactMap { p in p.scores[name].map { (p.t, $0) } }
                    return series.isEmpty ? nil : (name, colours[name]!, series)
                }, duration: duration, unit: "0–10", fixedMaximum: 10)
        }
        body += "<h2>Fluency over time (rolling window)</h2>" + Self.lineChart(
            series: [("speech rate", "#1f77b4", points.map { ($0.t, $0.speechRate) }),
                     ("articulation rate", "#ff7f0e", points.map { ($0.t, $0.articulationRate) })],
            duration: duration, unit: "syllables / s")
        body += Self.lineChart(series: [("silent pauses / min", "#2ca02c", points.map { ($0.t, $0.pausesPerMinute) }),
                                        ("phonation %", "#9467bd", points.map { ($0.t, 100 * $0.phonation) })],
                               duration: duration, unit: "per minute · %")
        body += "<h2>Loudness, with silent pauses marked</h2>" + Self.energyChart(energy, pauses: pauses, duration: duration)
        body += "<h2>Transcript</h2>" + Self.transcriptStrip(words, duration: duration)
        body += "<table><tr><th>word</th><th>start s</th><th>end s</th><th>confidence (0–1)</th></tr>"
        for w in words {
            body += "<tr><td>\(Self.escape(w.text))</td><td>\(String(format: "%.2f", w.start))</td><td>\(String(format: "%.2f", w.end))</td><td style=\"color:\(Self.confidenceColour(w.confidence))\">\(String(format: "%.2f", w.confidence))</td></tr>"
        }
        body += "</table>"
        if !textScores.isEmpty {
            body += "<h2>Text scores (0–10)</h2><table><tr><th>span s</th><th>words</th><th>relevance</th><th>coherence</th><th>lexical diversity</th></tr>"
            for t in textScores {
                func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "—" }
                body += "<tr><td>\(f(t.startSeconds))–\(f(t.endSeconds))</td><td>\(t.words)</td><td>\(f(t.relevance))</td><td>\(f(t.coherence))</td><td>\(f(t.lexicalDiversity))</td></tr>"
            }
            body += "</table>"
        }
        body += "<h2>Settings and model</h2><table>"
        body += "<tr><td>model</td><td>\(Self.escape(s.modelPath)) <small>(\(s.modelFingerprint))</small></td></tr>"
        if let settings = (try? JSONSerialization.jsonObject(with: Data(s.configuration.utf8))) as? [String: Any] {
            // Nested sections (the streaming window) are listed as section.key; the model is the row above.
            var rows: [(String, Any)] = []
            for (k, v) in settings where k != "model" {
                if let section = v as? [String: Any] { rows += section.map { ("\(k).\($0.key)", $0.value) } } else { rows.append((k, v)) }
            }
            // Values as the settings JSON writes them (true, not the 1 a bridged number prints).
            func shown(_ v: Any) -> String {
                if let s = v as? String { return s }
                return (try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\(v)"
            }
            for (k, v) in rows.sorted(by: { $0.0 < $1.0 }) { body += "<tr><td>\(Self.escape(k))</td><td>\(Self.escape(shown(v)))</td></tr>" }
        }
        body += "</table>"
        html = Self.page(title: "Proscore session \(id)", body: body)
    }

    /// A self-contained page in the reports' one style (`title` already escaped).
    static func page(title: String, body: String) -> String {
        """
        <!doctype html><html><head><meta charset="utf-8"><title>\(title)</title><style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
        h1{margin:0 0 4px} h2{margin:28px 0 8px;font-size:16px} .meta{color:#666}
        .cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:120px}
        .v{font-size:22px;font-weight:600}.l{color:#666;font-size:12px} table{border-collapse:collapse;margin-top:8px}
        td,th{border-bottom:1px solid #eee;padding:2px 10px;text-align:left} .bad{color:#c03030} svg{display:block;background:#fafafa;border:1px solid #eee}
        </style></head><body>\(body)</body></html>
        """
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

    static func lineChart(series: [(String, String, [(Double, Double)])], duration: Double, unit: String,
                          fixedMaximum: Double? = nil) -> String {
        let maxValue = fixedMaximum ?? max(1, series.flatMap { $0.2.map(\.1) }.max() ?? 1) * 1.1
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
        let path = energy.enumerated().map { String(format: "%.1f,%.1f", x(Double($0.offset) * FrameGeometry.frameSeconds, duration), y($0.element)) }.joined(separator: " ")
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
