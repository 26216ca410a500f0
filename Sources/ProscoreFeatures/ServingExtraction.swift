import Foundation
import ProscoreAudio
import ProscoreCheckpoint
import ProscorePipeline
import ProscoreScoring
import ProscoreTensor

/// One line of a serving-path feature folder's `index.jsonl`.
public struct ServingIndexEntry: Sendable, Equatable, Codable {
    public var id: String
    public var speaker: String?
    public var text: String?
    public var labels: [String: Double]
    public var durationSeconds: Double
    /// The transcript serving produced.
    public var transcript: String
    /// The head inputs of the final estimate: pooled layers in `file`, named features here
    /// (full precision). Absent, with the reason, when the gate refused the utterance.
    public var file: String?
    public var windowFeatures: [String: Double]?
    public var unscoredReason: String?
    /// The trivial baselines' inputs.
    public var baseline: [String: Double]

    enum CodingKeys: String, CodingKey {
        case id, speaker, text, labels, transcript, file, baseline
        case durationSeconds = "duration_s", windowFeatures = "window_features", unscoredReason = "unscored_reason"
    }
}

/// `extract` on the path the product runs: every utterance goes through the session
/// pipeline at full speed with the preset's streaming settings (and, for read-aloud, its
/// text as the reference), and what the head would have been given for the final estimate
/// is stored: the layer means as serving pools them and the window features as serving
/// computes them. A head trained on these sees at run time exactly what it was trained on.
public final class ServingFeatureExtractor {
    public let scorer: BatchScorer
    public let readAloud: Bool

    public init(scorer: BatchScorer, readAloud: Bool) {
        self.scorer = scorer
        self.readAloud = readAloud
    }

    /// Runs over `entries`, resuming: an utterance already in the index with the same text and
    /// a readable feature file is not extracted again (its labels and speaker are taken from
    /// the manifest, which may have corrected them: `relabelled` counts those); one whose text
    /// changed or whose file is gone is extracted again, and its new line supersedes the old.
    public func run(_ entries: [ManifestEntry], into folder: String, progress: @escaping (Int, Int, String) -> Void = { _, _, _ in })
        throws -> (written: Int, skipped: Int, relabelled: Int, gated: Int, failures: [(id: String, reason: String)])
    {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder + "/features", withIntermediateDirectories: true)
        let indexPath = folder + "/index.jsonl"
        var lines = Self.readIndex(indexPath)
        let stored = Dictionary(lines.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let done = Set(entries.filter { entry in
            guard let line = stored[entry.id], line.text == entry.text else { return false }
            return line.file.map { (try? SafeTensorsFile(path: folder + "/" + $0)) != nil } ?? true
        }.map(\.id))
        let relabelled = try Self.relabel(&lines, from: entries.filter { done.contains($0.id) }, at: indexPath)
        if !fm.fileExists(atPath: indexPath) { _ = fm.createFile(atPath: indexPath, contents: nil) }
        guard let index = FileHandle(forWritingAtPath: indexPath) else { throw ManifestError(path: indexPath, detail: "cannot be written") }
        defer { try? index.close() }
        try index.seekToEnd()
        var todo = entries.filter { !done.contains($0.id) }
        let alreadyThere = entries.count - todo.count
        var written = 0, gated = 0, finished = alreadyThere
        var failures: [(String, String)] = []
        if readAloud {
            // A read-aloud row without the text read would store its evidence as zeros and
            // teach a read-aloud head nonsense: refused, so that a resume runs it once it has one.
            todo = todo.filter { entry in
                guard ReadingReference.text(entry.text) == nil else { return true }
                failures.append((entry.id, "no \"text\" in the manifest: a read-aloud row needs the text that was read (or extract without --read-aloud)"))
                finished += 1
                return false
            }
        }
        scorer.run(todo, references: todo.map { readAloud ? $0.text : nil }) { _, result in
            finished += 1
            defer { progress(finished, entries.count, result.entry.id) }
            guard let summary = result.summary else {
                failures.append((result.entry.id, result.error ?? "no result"))
                return
            }
            do {
                let line = try self.store(result, summary: summary, folder: folder)
                if line.file == nil { gated += 1 } else { written += 1 }
                index.write(try JSONEncoder.sortedKeys.encode(line) + Data("\n".utf8))
            } catch {
                failures.append((result.entry.id, "\(error)"))
            }
        }
        try index.close()
        // An utterance extracted again (its text changed) left its old line above the new:
        // the index keeps one line per utterance for whoever reads it (pandas, jq), not only readIndex.
        let final = Self.readIndexCounting(indexPath)
        if final.lines.count < final.stored { try Self.rewrite(final.lines, at: indexPath) }
        return (written, alreadyThere, relabelled, gated, failures)
    }

    /// Writes `lines` as the index (through a temporary file, so a crash leaves the old one).
    static func rewrite(_ lines: [ServingIndexEntry], at indexPath: String) throws {
        var text = Data()
        for line in lines { text += try JSONEncoder.sortedKeys.encode(line) + Data("\n".utf8) }
        let temporary = indexPath + ".rewriting"
        try text.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, indexPath) == 0 else {
            throw ManifestError(path: indexPath, detail: "cannot be replaced with the rewritten index (\(String(cString: strerror(errno))))")
        }
    }

    /// Gives the stored lines of `entries` the manifest's labels and speaker, rewriting the
    /// index (through a temporary file, so a crash leaves the old one) when any changed.
    static func relabel(_ lines: inout [ServingIndexEntry], from entries: [ManifestEntry], at indexPath: String) throws -> Int {
        let manifest = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var changed = 0
        for i in lines.indices {
            guard let entry = manifest[lines[i].id], lines[i].labels != entry.labels || lines[i].speaker != entry.speaker else { continue }
            lines[i].labels = entry.labels
            lines[i].speaker = entry.speaker
            changed += 1
        }
        guard changed > 0 else { return 0 }
        try rewrite(lines, at: indexPath)
        return changed
    }

    func store(_ result: ScoredFile, summary: SessionSummary, folder: String) throws -> ServingIndexEntry {
        let entry = result.entry
        var baseline = TrivialBaseline.energyFeatures(samples: try AudioLoading.load16kMono(path: entry.audio))
        if let text = entry.text { baseline.merge(TrivialBaseline.referenceFeatures(text: text)) { a, _ in a } }
        var line = ServingIndexEntry(id: entry.id, speaker: entry.speaker, text: entry.text, labels: entry.labels,
                                     durationSeconds: result.durationSeconds ?? summary.audioSeconds, transcript: summary.transcript,
                                     file: nil, windowFeatures: nil, unscoredReason: summary.unscoredReason, baseline: baseline)
        guard let captured = result.captured, summary.unscoredReason == nil else {
            line.unscoredReason = summary.unscoredReason ?? "not scored"
            return line
        }
        let file = "features/\(entry.id).safetensors"
        let dim = captured.pooled.first?.count ?? 0
        try SafeTensorsWriter.write([
            ("pooled", Tensor(shape: [captured.pooled.count, dim], scalars: captured.pooled.flatMap { $0 })),
            ("layer_indices", Tensor(shape: [captured.layers.count], scalars: captured.layers.map(Float.init))),
        ], to: folder + "/" + file, metadata: ["id": entry.id, "path": "serving"])
        line.file = file
        line.windowFeatures = Dictionary(uniqueKeysWithValues: zip(captured.names, captured.values))
        line.unscoredReason = nil
        return line
    }

    /// The index's lines, one per utterance: a line written later for the same id (the
    /// utterance extracted again) supersedes the earlier one.
    public static func readIndex(_ path: String) -> [ServingIndexEntry] { readIndexCounting(path).lines }

    /// The index's lines, one per utterance, and how many lines the file holds.
    static func readIndexCounting(_ path: String) -> (lines: [ServingIndexEntry], stored: Int) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ([], 0) }
        let raw = text.split(separator: "\n")
        let lines = raw.compactMap { try? JSONDecoder().decode(ServingIndexEntry.self, from: Data($0.utf8)) }
        let last = Dictionary(lines.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { _, later in later })
        return (lines.enumerated().filter { last[$1.id] == $0 }.map(\.element), raw.count)
    }

    /// Whether `folder` was written by this extractor (rather than the offline one).
    public static func isServingFolder(_ folder: String) -> Bool {
        guard let first = readIndex(folder + "/index.jsonl").first else { return false }
        return first.baseline.isEmpty == false
    }
}

extension JSONEncoder {
    static var sortedKeys: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
