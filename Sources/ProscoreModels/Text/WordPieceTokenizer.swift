import Foundation
import ProscoreCheckpoint

/// BERT's tokenizer: basic tokenization (cleaning, CJK splitting, lower-casing and accent
/// stripping, punctuation splitting) then greedy longest-match-first WordPiece, as
/// Hugging Face's `BertTokenizer` does. Works on Unicode scalars, as Python does on code
/// points.
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

    /// WordPiece ids of `text`, without special tokens.
    public func wordPieceIds(_ text: String) -> [Int] {
        basicTokens(text).flatMap(wordPiece)
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
            if doLowerCase { word = word.lowercased() }
            if stripAccents { word = Self.stripAccents(word) }
            words += Self.splitOnPunctuation(word)
        }
        return words
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
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
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
