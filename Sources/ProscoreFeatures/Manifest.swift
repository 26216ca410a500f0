import Foundation

/// One utterance to extract features from.
public struct ManifestEntry: Sendable, Equatable, Codable {
    public var id: String
    /// Audio file path (absolute, or relative to the manifest's folder).
    public var audio: String
    public var speaker: String?
    /// The reference or prompt text, if any.
    public var text: String?
    /// Human ratings by name (speechocean762: accuracy, completeness, fluency, prosodic, total).
    public var labels: [String: Double]

    public init(id: String, audio: String, speaker: String? = nil, text: String? = nil, labels: [String: Double] = [:]) {
        self.id = id; self.audio = audio; self.speaker = speaker; self.text = text; self.labels = labels
    }

    enum CodingKeys: String, CodingKey { case id, audio, speaker, text, labels }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        audio = try c.decode(String.self, forKey: .audio)
        speaker = try c.decodeIfPresent(String.self, forKey: .speaker)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        labels = try c.decodeIfPresent([String: Double].self, forKey: .labels) ?? [:]
    }
}

public struct ManifestError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
    public var errorDescription: String? { description }
}

/// Utterance lists: a JSON-lines manifest, or a speechocean762 (Kaldi-style) data folder.
///
/// Manifest format, one JSON object per line:
/// `{"id": "utt1", "audio": "wav/utt1.flac", "speaker": "s1", "text": "WE CALL IT BEAR", "labels": {"total": 8}}`
/// Only `id` and `audio` are required; relative audio paths are relative to the manifest.
public enum Manifest {
    public static func load(path: String) throws -> [ManifestEntry] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestError(path: path, detail: "no such file or folder")
        }
        if isDirectory.boolValue { return try isSpeechocean762(folder: path) ? speechocean762(folder: path) : recordings(folder: path) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ManifestError(path: path, detail: "cannot be read as UTF-8 text")
        }
        let base = (path as NSString).deletingLastPathComponent
        var entries: [ManifestEntry] = []
        var lineOfID: [String: Int] = [:]
        // Every bad line is named at once, so that one run shows what to mend.
        var problems: [String] = []
        // By newline characters: a Windows line end ("\r\n") is one Swift character, not "\n".
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard var e = try? JSONDecoder().decode(ManifestEntry.self, from: Data(line.utf8)) else {
                problems.append("line \(n + 1) is not a manifest entry (needs at least \"id\" and \"audio\"; labels an object of numbers)")
                continue
            }
            // Results and features are filed by id: two utterances with one id would pair
            // one's labels with the other's features.
            if let first = lineOfID[e.id] {
                problems.append("line \(n + 1) has the id \"\(e.id)\" of line \(first); give each utterance its own id")
                continue
            }
            lineOfID[e.id] = n + 1
            if !e.audio.hasPrefix("/") { e.audio = (base as NSString).appendingPathComponent(e.audio) }
            entries.append(e)
        }
        if problems.count == 1 { throw ManifestError(path: path, detail: problems[0]) }
        if !problems.isEmpty {
            let shown = problems.prefix(10).joined(separator: "; ")
            throw ManifestError(path: path, detail: "\(problems.count) lines cannot be used: \(shown)" + (problems.count > 10 ? "; and \(problems.count - 10) more" : ""))
        }
        return entries
    }

    /// speechocean762's score names: the labels a head can be trained on.
    public static let labelNames: Set<String> = ["accuracy", "completeness", "fluency", "prosodic", "total"]

    /// What a JSON-lines manifest holds that nothing reads: keys other than id, audio, speaker,
    /// text and labels, and label names other than speechocean762's, each with how many lines
    /// carry it ("lables (3 lines)"). A misspelt "speakr" or "fluncy" would otherwise vanish.
    public static func ignoredKeys(path: String) -> (keys: [String], labels: [String]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ([], []) }
        var keys: [String: Int] = [:], labels: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { continue }
            for key in object.keys where !["id", "audio", "speaker", "text", "labels"].contains(key) { keys[key, default: 0] += 1 }
            for name in (object["labels"] as? [String: Any])?.keys ?? [:].keys where !labelNames.contains(name) { labels[name, default: 0] += 1 }
        }
        func said(_ counts: [String: Int]) -> [String] {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value) line\($0.value == 1 ? "" : "s"))" }
        }
        return (said(keys), said(labels))
    }

    /// Whether `id` can name a file in one folder (extract stores `features/ID.safetensors`):
    /// not empty, no `/`, not starting with `.`, no control characters.
    public static func isFileName(_ id: String) -> Bool {
        !id.isEmpty && !id.contains("/") && !id.hasPrefix(".") && !id.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Audio file extensions a plain folder of recordings is searched for (what libsndfile reads).
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff", "au", "caf", "w64"]

    /// Whether `folder` is laid out as speechocean762 (`wav.scp` in it or in its `train` subfolder).
    public static func isSpeechocean762(folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/wav.scp") || FileManager.default.fileExists(atPath: folder + "/train/wav.scp")
    }

    /// Every recording in a folder and its subfolders (a class's recordings, a student per
    /// folder), in path order; the id is the path inside the folder without its extension,
    /// and the speaker the subfolder a recording lies in (none for one at the top).
    public static func recordings(folder: String) throws -> [ManifestEntry] {
        try recordingsAndForeignMedia(folder: folder).recordings
    }

    /// `recordings(folder:)`, and from the same walk the files in a sound or video format
    /// Proscore cannot read (paths inside the folder, sorted), for a batch to name them.
    public static func recordingsAndForeignMedia(folder: String) throws -> (recordings: [ManifestEntry], foreign: [String]) {
        let (found, foreign) = try scan(folder: folder)
        guard !found.isEmpty else {
            let shown = foreign.prefix(5).joined(separator: ", ") + (foreign.count > 5 ? " and \(foreign.count - 5) more" : "")
            let others = foreign.isEmpty ? "" : "; \(shown): a format Proscore cannot read, convert to WAV or FLAC (ffmpeg -i IN.m4a OUT.wav)"
            throw ManifestError(path: folder, detail: "no recordings in it (.\(audioExtensions.sorted().joined(separator: ", ."))) and it is not a speechocean762 folder (wav.scp, text, utt2spk, scores.csv)" + others)
        }
        let sorted = found.sorted()
        let recordings = zip(sorted, uniqueIDs(sorted)).map { relative, id in
            let components = (relative as NSString).pathComponents
            return ManifestEntry(id: id, audio: (folder as NSString).appendingPathComponent(relative),
                                 speaker: components.count > 1 ? components[0] : nil)
        }
        return (recordings, foreign)
    }

    /// Sound and video that phones and browsers record and libsndfile does not read.
    public static let foreignMediaExtensions: Set<String> = ["m4a", "aac", "mp4", "m4v", "webm", "wma", "amr", "3gp", "mkv", "mov"]

    /// Paths inside `folder` (its subfolders too; hidden files left out) of recordings and of foreign media.
    private static func scan(folder: String) throws -> (found: [String], foreign: [String]) {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw ManifestError(path: folder, detail: "cannot be read")
        }
        var found: [String] = [], foreign: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard !name.hasPrefix(".") else { continue }
            let ext = (name as NSString).pathExtension.lowercased()
            if audioExtensions.contains(ext) { found.append(relative) } else if foreignMediaExtensions.contains(ext) { foreign.append(relative) }
        }
        return (found, foreign.sorted())
    }

    /// Recordings named one by one: each id is the file's name without its extension (with it
    /// where two names differ only there); files of one name in different folders are named
    /// by their paths, so that no two rows (or references) share an id.
    public static func files(_ paths: [String]) -> [ManifestEntry] {
        let ids = uniqueIDs(paths.map { ($0 as NSString).lastPathComponent })
        let repeated = Set(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys)
        return zip(paths, ids).map { path, id in
            ManifestEntry(id: repeated.contains(id) ? (path as NSString).deletingPathExtension : id, audio: path)
        }
    }

    /// An id for each recording path: the path without its extension, or, where two paths
    /// would share one (`x.wav` and `x.flac`), the path as given.
    public static func uniqueIDs(_ paths: [String]) -> [String] {
        let bare = paths.map { ($0 as NSString).deletingPathExtension }
        var count: [String: Int] = [:]
        for id in bare { count[id, default: 0] += 1 }
        return zip(paths, bare).map { path, id in count[id]! > 1 ? path : id }
    }

    /// speechocean762's layout: `wav.scp`, `text`, `utt2spk`, `scores.csv` in a folder (the
    /// folder itself, or its `train`/`test` subfolder).
    public static func speechocean762(folder: String) throws -> [ManifestEntry] {
        var dir = folder
        if !FileManager.default.fileExists(atPath: dir + "/wav.scp"), FileManager.default.fileExists(atPath: dir + "/train/wav.scp") {
            dir += "/train"
        }
        func table(_ name: String) throws -> [String: String] {
            guard let text = try? String(contentsOfFile: dir + "/" + name, encoding: .utf8) else {
                throw ManifestError(path: dir + "/" + name, detail: "missing: a speechocean762 folder has wav.scp, text, utt2spk and scores.csv")
            }
            var map: [String: String] = [:]
            for line in text.split(whereSeparator: \.isNewline) {
                let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
                if parts.count == 2 { map[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
            return map
        }
        let wav = try table("wav.scp"), text = try table("text"), speakers = try table("utt2spk")
        var labels: [String: [String: Double]] = [:]
        if let csv = try? String(contentsOfFile: dir + "/scores.csv", encoding: .utf8) {
            let lines = csv.split(whereSeparator: \.isNewline)
            let header = lines.first?.split(separator: ",").map(String.init) ?? []
            for line in lines.dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard let id = fields.first else { continue }
                var row: [String: Double] = [:]
                for (name, value) in zip(header, fields).dropFirst() { if let v = Double(value) { row[name] = v } }
                labels[id] = row
            }
        }
        return wav.keys.sorted().map { id in
            let audio = wav[id]!
            return ManifestEntry(id: id, audio: audio.hasPrefix("/") ? audio : dir + "/" + audio,
                                 speaker: speakers[id], text: text[id], labels: labels[id] ?? [:])
        }
    }
}
