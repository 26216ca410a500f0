import Foundation
import ProscoreCheckpoint
import ProscoreTensor

/// A CTC head's vocabulary (`vocab.json`, wav2vec2-base-960h style: `<pad>` is the blank,
/// `|` separates words).
public struct CTCVocabulary: Sendable, Equatable {
    /// Token text by id.
    public let tokens: [String]
    public let blank: Int
    public let wordDelimiter: Int?

    public init(tokens: [String], blank: Int = 0, wordDelimiter: Int? = nil) {
        self.tokens = tokens
        self.blank = blank
        self.wordDelimiter = wordDelimiter ?? tokens.firstIndex(of: "|") ?? tokens.firstIndex(of: " ")
    }

    /// Reads `vocab.json` (token → id).
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.missingFile(path: path, hint: "A CTC checkpoint needs the vocab.json it was trained with.")
        }
        guard let map = (try? JSONSerialization.jsonObject(with: data)) as? [String: Int], !map.isEmpty else {
            throw CheckpointError.badConfig(path: path, detail: "is not a JSON object of token → id")
        }
        var tokens = [String](repeating: "", count: (map.values.max() ?? 0) + 1)
        for (token, id) in map where id >= 0 { tokens[id] = token }
        self.init(tokens: tokens, blank: map["<pad>"] ?? 0)
    }

    /// Softmax probability of the blank in each frame of `[frames, vocab]` logits.
    public func blankPosterior(_ logits: Tensor) -> [Float] {
        FramePosteriors(logits: logits, chosen: blank).chosenPosterior
    }

    /// Greedy CTC decoding of `[frames, vocab]` logits: best token per frame, repeats
    /// collapsed, blanks dropped, `|` as a space.
    public func greedyTranscript(_ logits: Tensor) -> String {
        var text = ""
        var previous = -1
        for best in FramePosteriors(logits: logits, chosen: blank).best {
            if best != previous && best != blank && best < tokens.count {
                let token = tokens[best]
                if best == wordDelimiter {
                    if !text.isEmpty && !text.hasSuffix(" ") { text += " " }
                } else if !(token.hasPrefix("<") && token.hasSuffix(">")) {
                    text += token
                }
            }
            previous = best
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
