import ArgumentParser
import Foundation
import ProscorePipeline
import ProscoreScoring

/// What a session scores with: the preset, the encoder and the two heads. Shared by
/// `replay`, `live`, `serve` and `score`, which all build a `SessionRequest` from them.
struct ScoringModelOptions: ParsableArguments {
    @Option(help: "Preset: streaming window, and optionally model, heads and score settings; a name in configs/ (balanced, low-latency, accurate, …) or a file.")
    var preset: String = SessionBuilder.defaultPreset
    @Option(help: "CTC checkpoint directory (default: the preset's, else \(SessionBuilder.defaultModel)).") var model: String?
    @Option(help: "Free-speech head for the scores (default: the preset's, else \(SessionBuilder.defaultHead); none for measures only).")
    var head: String?
    @Option(help: "Head for read-aloud sessions, used with a reference (default: the preset's; with --head or --model, --head's; none to use --head's).")
    var readAloudHead: String?

    /// With --head alone, readings are scored by that head too (the preset's read-aloud head
    /// belongs with the preset's free one): said, so that numbers are not credited to the wrong head.
    func noteReadingsHead(readings: Bool) {
        guard readings, let head, head != "none", readAloudHead == nil else { return }
        FileHandle.standardError.write(Data(("note: readings are scored by --head \(head) (with --head, the preset's read-aloud head is not used); "
                                             + "give --read-aloud-head HEAD to score them with a read-aloud head\n").utf8))
    }

    /// Puts these choices into `request`.
    func fill(_ request: inout SessionRequest) {
        request.preset = preset
        request.model = model
        request.head = head
        request.readAloudHead = readAloudHead
    }
}

extension ScoringModelOptions {
    /// A `--reference` with no words in it is a mistake (an empty variable, a file that was
    /// not read), not a reading of nothing: it would score the speech as a reading that said
    /// every word of nothing.
    static func checkReference(_ reference: String?) throws {
        guard let reference else { return }
        guard let text = ReadingReference.text(reference) else {
            throw ValidationError("--reference has no words in it; give the text that was read aloud, or leave --reference out for free speech.")
        }
        // The recognisers write letters: a word without one ("1984") cannot be aligned and is left out.
        let words = ReadingReference(text).words
        let unwritable = words.filter { !$0.contains(where: \.isLetter) }
        if unwritable.count == words.count {
            throw ValidationError("--reference \(reference) has no word written in letters; the recogniser writes letters only: "
                                  + "write numbers as words (\"zero three five one\"), or leave --reference out for free speech.")
        }
        if !unwritable.isEmpty {
            FileHandle.standardError.write(Data(("warning: --reference: \(unwritable.joined(separator: ", ")) left out of the reading "
                                                 + "(the recogniser writes letters only; write numbers as words to have them count)\n").utf8))
        }
    }
}
