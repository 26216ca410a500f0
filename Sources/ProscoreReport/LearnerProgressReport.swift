import Foundation
import ProscorePipeline
import ProscoreStore

/// One self-contained HTML page for a learner's sessions, oldest first: each score (0–10)
/// from session to session, and a row per session with its date, length, whether it was
/// read aloud, its scores and its speech rate, linked to the session's own report by id.
public struct LearnerProgressReport {
    struct Row {
        let id: Int64
        let started: Date
        let audioSeconds: Double
        let status: SessionStatus
        let readAloud: Bool
        let scores: ProficiencyScores?
        let unscoredReason: String?
        let speechRate: Double?
    }

    public let html: String
    /// How many sessions the page shows.
    public let sessions: Int
    /// The learner's name as their newest session keeps it.
    public let learner: String

    /// Throws when no session of `store` carries `learner` (compared without case), naming those that do.
    public init(store: any SessionStore, learner: String) throws {
        let entries = try SessionListEntry.all(in: store, learner: learner)
        guard !entries.isEmpty else {
            throw StoreError(detail: "no sessions of \(learner) in \(store.location); the names there are: \(SessionListEntry.learnerNames(in: store))")
        }
        let rows = entries.reversed().map { entry -> Row in
            let record = entry.record
            let (summary, last) = (entry.summary, entry.lastEstimate)
            let settings = try? JSONDecoder().decode(SessionSettings.self, from: Data(record.configuration.utf8))
            return Row(id: record.id!, started: record.startedAt, audioSeconds: entry.audioSeconds, status: record.status,
                       readAloud: settings?.reference != nil, scores: summary?.scores ?? last?.scores,
                       unscoredReason: summary?.unscoredReason ?? last?.unscoredReason, speechRate: (summary?.session ?? last?.session)?.speechRate)
        }
        sessions = rows.count
        self.learner = entries[0].learner ?? learner
        let name = SessionReport.escape(self.learner)
        var body = "<h1>\(name): progress over \(rows.count) session\(rows.count == 1 ? "" : "s")</h1>"
        body += "<p class=meta>Scores on the speechocean762 scale (0–10, 10 is native-like), as each session ended. "
            + "Sessions read aloud are scored by the read-aloud head, the others by the free-speech head, so compare like with like.</p>"
        body += "<h2>Scores from session to session</h2>" + Self.chart(rows)
        body += "<h2>Sessions</h2><table><tr><th>session</th><th>started</th><th>audio</th><th>kind</th>"
            + ProficiencyScores.names.map { "<th>\($0)</th>" }.joined() + "<th>speech rate</th><th>status</th></tr>"
        let formatter = ISO8601DateFormatter()
        for row in rows {
            let scores = ProficiencyScores.names.map { n in "<td>\(row.scores?[n].map { String(format: "%.1f", $0) } ?? "—")</td>" }.joined()
            let status = row.status.rawValue + (row.scores == nil ? " (\(SessionReport.escape(row.unscoredReason ?? "no scores")))" : "")
            body += "<tr><td>\(row.id)</td><td>\(formatter.string(from: row.started))</td><td>\(String(format: "%.1f", row.audioSeconds)) s</td>"
                + "<td>\(row.readAloud ? "read aloud" : "free speech")</td>\(scores)"
                + "<td>\(row.speechRate.map { String(format: "%.2f syl/s", $0) } ?? "—")</td><td>\(status)</td></tr>"
        }
        body += "</table><p class=meta>Each session's own page: proscore report ID --out report.html.</p>"
        html = SessionReport.page(title: "Proscore: \(name)'s progress", body: body)
    }

    /// Each score across the sessions, one point per scored session, labelled by session id.
    static func chart(_ rows: [Row]) -> String {
        let (width, height, left, bottom) = (SessionReport.width, SessionReport.height, SessionReport.left, SessionReport.bottom)
        func x(_ i: Int) -> Double { left + (width - left - 30) * (rows.count == 1 ? 0.5 : Double(i) / Double(rows.count - 1)) }
        func y(_ v: Double) -> Double { 8 + (height - bottom - 8) * (1 - v / 10) }
        var s = "<svg width=\"\(width)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for v in [0.0, 5, 10] {
            s += "<line x1=\"\(left)\" y1=\"\(y(v))\" x2=\"\(width - 10)\" y2=\"\(y(v))\" stroke=\"#e4e4e4\"/>"
                + "<text x=\"\(left - 6)\" y=\"\(y(v) + 4)\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">\(Int(v))</text>"
        }
        for (i, row) in rows.enumerated() {
            s += "<text x=\"\(x(i))\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">\(row.id)</text>"
        }
        let colours = ["accuracy": "#2b6cb0", "fluency": "#2a8a2a", "prosodic": "#c08000", "total": "#c03030"]
        for (k, name) in ProficiencyScores.names.enumerated() {
            let points = rows.enumerated().compactMap { i, row in row.scores?[name].map { (x: String(format: "%.1f", x(i)), y: String(format: "%.1f", y($0))) } }
            let colour = colours[name] ?? "#444"
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.map { "\($0.x),\($0.y)" }.joined(separator: " "))\"/>"
            for point in points { s += "<circle cx=\"\(point.x)\" cy=\"\(point.y)\" r=\"3\" fill=\"\(colour)\"/>" }
            s += "<rect x=\"\(left + 10 + Double(k) * 120)\" y=\"12\" width=\"12\" height=\"3\" fill=\"\(colour)\"/>"
                + "<text x=\"\(left + 26 + Double(k) * 120)\" y=\"17\" font-size=\"12\">\(name)</text>"
        }
        return s + "<text x=\"\(left - 14)\" y=\"\(height - 6)\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">session</text></svg>"
    }
}
