import Foundation
import ProscoreCheckpoint

/// BERT's tokenizer: basic tokenization (cleaning, CJK splitting, accent stripping and
/// lower-casing, punctuation splitting) then greedy longest-match-first WordPiece, as
/// Hugging Face's (fast, Rust) `BertTokenizer` does: special tokens written in the text
/// are matched first; control and format characters are deleted; Unicode White_Space
/// separates words; case is mapped one scalar at a time (so a final Σ becomes σ). Works on
/// Unicode scalars, as the reference does on code points.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int]
    public let tokens: [String]
    public let doLowerCase: Bool
    public let stripAccents: Bool
    public let tokenizeChineseChars: Bool
    public let maxInputCharsPerWord: Int
    public let unknownToken: String
    public let classifierToken: String
    public let separatorToken: String

    public var unknownId: Int { vocabulary[unknownToken]! }
    public var classifierId: Int { vocabulary[classifierToken]! }
    public var separatorId: Int { vocabulary[separatorToken]! }

    public init(tokens: [String], doLowerCase: Bool = true, stripAccents: Bool? = nil,
                tokenizeChineseChars: Bool = true, maxInputCharsPerWord: Int = 100,
                unknownToken: String = "[UNK]", classifierToken: String = "[CLS]", separatorToken: String = "[SEP]") {
        self.tokens = tokens
        var map: [String: Int] = [:]
        for (i, t) in tokens.enumerated() where map[t] == nil { map[t] = i }
        vocabulary = map
        self.doLowerCase = doLowerCase
        self.stripAccents = stripAccents ?? doLowerCase
        self.tokenizeChineseChars = tokenizeChineseChars
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unknownToken = unknownToken
        self.classifierToken = classifierToken
        self.separatorToken = separatorToken
    }

    /// Reads `vocab.txt` (one token a line) and, when present, `tokenizer_config.json`.
    public init(directory: String) throws {
        let vocabPath = (directory as NSString).appendingPathComponent("vocab.txt")
        guard let text = try? String(contentsOfFile: vocabPath, encoding: .utf8) else {
            throw CheckpointError.missingFile(path: vocabPath, hint: "A BERT checkpoint needs its vocab.txt.")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let configPath = (directory as NSString).appendingPathComponent("tokenizer_config.json")
        var config: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: configPath) {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw CheckpointError.badConfig(path: configPath, detail: "is not a JSON object")
            }
            config = object
        }
        let lower = config["do_lower_case"] as? Bool ?? true
        self.init(tokens: lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 },
                  doLowerCase: lower, stripAccents: config["strip_accents"] as? Bool,
                  tokenizeChineseChars: config["tokenize_chinese_chars"] as? Bool ?? true,
                  unknownToken: config["unk_token"] as? String ?? "[UNK]",
                  classifierToken: config["cls_token"] as? String ?? "[CLS]",
                  separatorToken: config["sep_token"] as? String ?? "[SEP]")
        for special in [unknownToken, classifierToken, separatorToken] where vocabulary[special] == nil {
            throw CheckpointError.badConfig(path: vocabPath, detail: "has no \(special) token")
        }
    }

    /// `[CLS] pieces [SEP]` ids, as `tokenizer(text)["input_ids"]` gives them.
    public func encode(_ text: String) -> [Int] {
        [classifierId] + wordPieceIds(text) + [separatorId]
    }

    /// WordPiece ids of `text`, without [CLS] and [SEP] around it.
    public func wordPieceIds(_ text: String) -> [Int] {
        var ids: [Int] = []
        for (segment, specialId) in splitOnSpecialTokens(text) {
            if let specialId { ids.append(specialId) } else { ids += basicTokens(segment).flatMap(wordPiece) }
        }
        return ids
    }

    /// Special tokens that are matched verbatim (case-sensitive) before normalisation.
    private var specialTokens: [String] {
        ["[PAD]", unknownToken, classifierToken, separatorToken, "[MASK]"].filter { vocabulary[$0] != nil }
    }

    /// Text cut around verbatim special tokens: (text, nil) pieces and ("", id) tokens.
    func splitOnSpecialTokens(_ text: String) -> [(String, Int?)] {
        guard text.contains("[") else { return [(text, nil)] }
        var result: [(String, Int?)] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "[") {
            let tail = rest[open...]
            if let special = specialTokens.first(where: { tail.hasPrefix($0) }) {
                result.append((String(rest[..<open]), nil))
                result.append(("", vocabulary[special]))
                rest = tail.dropFirst(special.count)
            } else {
                result.append((String(rest[...open]), nil))
                rest = rest[rest.index(after: open)...]
            }
        }
        result.append((String(rest), nil))
        // Merge adjacent plain pieces so words cut at a "[" are not split.
        var merged: [(String, Int?)] = []
        for piece in result {
            if piece.1 == nil, let last = merged.last, last.1 == nil {
                merged[merged.count - 1].0 += piece.0
            } else {
                merged.append(piece)
            }
        }
        return merged
    }

    // MARK: - Basic tokenization

    /// Cleaned, CJK-split, lower-cased, accent-stripped, punctuation-split words.
    public func basicTokens(_ text: String) -> [String] {
        var cleaned: [Unicode.Scalar] = []
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                cleaned.append(" ")
            } else if tokenizeChineseChars && Self.isChinese(s) {
                cleaned += [" ", s, " "]
            } else {
                cleaned.append(s)
            }
        }
        var words: [String] = []
        for raw in String(String.UnicodeScalarView(cleaned)).split(separator: " ", omittingEmptySubsequences: true) {
            var word = String(raw)
            if stripAccents { word = Self.stripAccents(word) }
            if doLowerCase { word = Self.lowercasePerScalar(word) }
            words += Self.splitOnPunctuation(word)
        }
        return words
    }

    /// Lower case one scalar at a time (Rust's `char::to_lowercase`), without the
    /// context-dependent rules of `String.lowercased()`.
    static func lowercasePerScalar(_ word: String) -> String {
        var out = String.UnicodeScalarView()
        for s in word.unicodeScalars { out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) }
        return String(out)
    }

    static func stripAccents(_ word: String) -> String {
        let decomposed = word.decomposedStringWithCanonicalMapping.unicodeScalars
        return String(String.UnicodeScalarView(decomposed.filter { $0.properties.generalCategory != .nonspacingMark }))
    }

    static func splitOnPunctuation(_ word: String) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for s in word.unicodeScalars {
            if isPunctuation(s) {
                if !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
                pieces.append(String(s))
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    // MARK: - WordPiece

    /// Greedy longest-match-first pieces of one word; the whole word is `[UNK]` when it is
    /// longer than `maxInputCharsPerWord` or some part matches nothing.
    func wordPiece(_ word: String) -> [Int] {
        let chars = Array(word.unicodeScalars)
        if chars.count > maxInputCharsPerWord { return [unknownId] }
        var ids: [Int] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: Int?
            while start < end {
                var piece = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = vocabulary[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownId] }
            ids.append(id)
            start = end
        }
        return ids
    }
}
