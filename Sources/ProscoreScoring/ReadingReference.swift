/// The text a learner reads aloud, split once for every use the pipeline makes of it.
///
/// `words` are the reference's words as given (punctuation kept), for the lists a person
/// reads (omitted words); `normalised` are the same words, index for index, in the
/// vocabulary's spelling (upper case; letters, digits and apostrophes), for the word
/// alignment with the transcript and for the forced alignment. Words are split at any
/// whitespace, line breaks included (a passage pasted from a file reads as one text), and a
/// piece with nothing to say ("—", "&") is not a word. Given the recogniser's alphabet, a
/// spelling keeps only the characters it can write, so a word it cannot write at all ("1984"
/// for a model of letters: spell numbers out in references) is left out rather than counted
/// as omitted every time.
public struct ReadingReference: Sendable, Equatable {
    public let words: [String]
    public let normalised: [String]

    public init(_ text: String, alphabet: Set<Character>? = nil) {
        var words: [String] = [], normalised: [String] = []
        for piece in text.split(whereSeparator: \.isWhitespace) {
            var spelling = Self.normalise(piece)
            if let alphabet { spelling = spelling.filter { alphabet.contains($0) } }
            guard !spelling.isEmpty else { continue }
            words.append(String(piece))
            normalised.append(spelling)
        }
        self.words = words
        self.normalised = normalised
    }

    public var isEmpty: Bool { words.isEmpty }

    /// `text` when it has a word to read, else nil: a reference with no words in it ("", "—")
    /// is no reference, and the speech is free speech.
    public static func text(_ text: String?) -> String? {
        text.flatMap { ReadingReference($0).isEmpty ? nil : $0 }
    }

    /// A word as the alignments compare it: upper case, letters, digits and apostrophes.
    public static func normalise<S: StringProtocol>(_ word: S) -> String {
        String(word.uppercased().filter { $0.isLetter || $0.isNumber || $0 == "'" })
    }
}
