import Foundation
import ProscoreFakes
import ProscoreModels
import ProscorePipeline
import ProscoreReport
import ProscoreStore
import Testing

/// A session run through the pipeline with fake stages into a real store.
func recordedSession(samples: [Float], end: Bool = true, reference: String? = nil) throws -> (SessionStore, Int64) {
    let store = try SQLiteSessionStore(path: NSTemporaryDirectory() + "proscore-report-" + UUID().uuidString + "/sessions.sqlite")
    let recorder = try StoreSessionRecorder(store: store, settings: settings(reference: reference))
    let pipeline = SessionPipeline(settings: settings(reference: reference), stages: SessionStages(
        encoder: ScriptedEncoder(vocabulary: testVocabulary, script: greeting),
        decoder: StreamingCTCDecoder(vocabulary: testVocabulary), vocabulary: testVocabulary,
        scorer: FixedScorer(), textScorer: SlowTextScorer(delaySeconds: 0), recorder: end ? recorder : nil))
    if end {
        try pipeline.run(source: ArraySource(samples: samples)) { _ in }
    } else {
        // As if the process died: the record begun and events committed, but never ended.
        _ = try recorder.begin(source: "array")
        try pipeline.run(source: ArraySource(samples: samples)) { event in
            if case .ended = event { return }
            try? recorder.record(event)
        }
    }
    return (store, recorder.sessionId!)
}

@Suite("HTML session reports from typed events")
struct SessionReportTests {
    @Test("a finished session's report shows its status, the 0–10 scores as cards and over time, pauses and words")
    func finished() throws {
        // Speech, 1 s of digital silence, speech: one pause to shade.
        let samples = loud(seconds: 2) + [Float](repeating: 0, count: 16_000) + loud(seconds: 2)
        let (store, id) = try recordedSession(samples: samples)
        let html = try SessionReport(store: store, session: id).html
        #expect(html.contains("<b>complete</b>"))
        #expect(html.contains("Proficiency (0–10") && html.contains("7.0<small> / 10</small></div><div class=l>fluency"))
        #expect(html.contains("Scores over time"))
        #expect(html.contains("<td>HI</td>"))
        #expect(html.contains("Text scores (0–10)"))
        #expect(html.contains("streaming.chunk_ms"))
    }

    @Test("a read-aloud report says where completeness comes from, what GOP's numbers mean, and names the model once")
    func readAloud() throws {
        let (store, id) = try recordedSession(samples: loud(seconds: 3), reference: "HELLO THERE HI")
        let html = try SessionReport(store: store, session: id).html
        #expect(html.contains("completeness (reference words found in the transcript)"))
        #expect(html.contains("nats per frame") && html.contains("a word not found may have been read"))
        #expect(html.components(separatedBy: "<td>model</td>").count == 2, "the model is listed once")
    }

    @Test("a session whose process died is reported from its stored events, not as zeros")
    func died() throws {
        let (store, id) = try recordedSession(samples: loud(seconds: 3), end: false)
        #expect(try store.session(id).summary == nil)
        let html = try SessionReport(store: store, session: id).html
        #expect(html.contains("6.5<small> / 10</small></div><div class=l>total"))
        #expect(html.contains("<td>HI</td>"))
        #expect(!html.contains(">0.00<small> syl/s"), "speech rate comes from the last stored estimate")
    }
}
