import Foundation

/// A references file for `score --references`: one `PATH-or-ID<TAB>TEXT` line per
/// recording (blank lines and `#` comments skipped). A line finds its recording by the path
/// as the recording was named, by the same file named another way (`./a.flac`, an absolute
/// path), or by the recording's id.
public struct ReferenceTable: Sendable {
    public let keys: [String]
    public let texts: [String]
    /// Each key's line in the file, from 1.
    public let lineNumbers: [Int]
    /// Line index by the key's canonical path, and by the key as written (an id).
    private let byPath: [String: Int], byKey: [String: Int]
    /// Line index by the key read relative to the references file's folder (as a manifest's
    /// paths are), for keys that are relative paths.
    private let byPathBesideFile: [String: Int]

    public init(text: String, file: String) throws {
        var keys: [String] = [], texts: [String] = [], lines: [Int] = []
        var seen: [String: Int] = [:], besideFile: [String: Int] = [:]
        let folder = (file as NSString).deletingLastPathComponent.isEmpty ? "." : (file as NSString).deletingLastPathComponent
        // By newline characters, not "\n": in a Swift string a Windows line end ("\r\n", as
        // spreadsheets save) is one character, so a file saved so would be one long line.
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ManifestError(path: file, detail: parts.count > 2
                    ? "line \(n + 1) has \(parts.count) columns; give PATH-or-ID<TAB>TEXT, one tab"
                    : "line \(n + 1) is not PATH-or-ID<TAB>TEXT (a tab, not spaces, between the recording and its text)")
            }
            let key = String(parts[0]), reference = String(parts[1])
            guard reference.contains(where: { $0.isLetter || $0.isNumber }) else {
                throw ManifestError(path: file, detail: "line \(n + 1): the text for \(key) has no words")
            }
            if let first = seen[Self.canonical(key)] {
                throw ManifestError(path: file, detail: "line \(n + 1): \(key) already has a text on line \(lines[first])")
            }
            seen[Self.canonical(key)] = keys.count
            if !key.hasPrefix("/") { besideFile[Self.canonical(folder + "/" + key)] = keys.count }
            keys.append(key)
            texts.append(reference)
            lines.append(n + 1)
        }
        self.keys = keys
        self.texts = texts
        lineNumbers = lines
        byPath = seen
        byPathBesideFile = besideFile
        byKey = Dictionary(keys.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The index of the line for `entry`, if one fits it: by path (relative keys read from
    /// the working folder, then from the references file's folder), by id, else by the
    /// file's name without extension (an utterance id such as speechocean762's, for a
    /// recording filed in a learner's subfolder).
    public func line(for entry: ManifestEntry) -> Int? {
        let path = Self.canonical(entry.audio)
        let stem = ((entry.audio as NSString).lastPathComponent as NSString).deletingPathExtension
        return byPath[path] ?? byPathBesideFile[path] ?? byKey[entry.id] ?? byKey[stem]
    }

    /// A path as one absolute, standardised spelling, so that `./a.flac` and `a.flac` meet.
    static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
