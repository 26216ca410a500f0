import Foundation

/// Syllables of English words: from the CMU pronouncing dictionary as Festival ships it
/// (Debian's festlex-cmu, syllabified, free licence) when it is installed, otherwise by a
/// vowel-group rule with the common exceptions.
public final class SyllableCounter: @unchecked Sendable {
    public static let festivalDictionary = "/usr/share/festival/dicts/cmu/cmudict-0.4.out"
    /// Festival's dictionary, loaded once per process on first use and shared read-only by
    /// every session (loading it per session made starting 24 streams at once take seconds).
    public static let shared = SyllableCounter()
    private let dictionary: [String: Int]

    /// Loads the dictionary at `path` if it exists (about 0.1 s); the rule covers the rest.
    public init(dictionaryPath: String? = SyllableCounter.festivalDictionary) {
        var map: [String: Int] = [:]
        if let dictionaryPath, let text = try? String(contentsOfFile: dictionaryPath, encoding: .isoLatin1) {
            // Lines look like: ("weather" nil (((w eh) 1) ((dh er) 0)))
            for line in text.split(separator: "\n") where line.hasPrefix("(\"") {
                guard let close = line.dropFirst(2).firstIndex(of: "\"") else { continue }
                let word = String(line[line.index(line.startIndex, offsetBy: 2)..<close])
                // Each syllable is "((phones) stress)": count the stress marks ") N)".
                let rest = Array(line[close...].utf8)
                var syllables = 0
                if rest.count >= 4 {
                    for i in 0..<(rest.count - 3)
                    where rest[i] == UInt8(ascii: ")") && rest[i + 1] == UInt8(ascii: " ")
                        && (UInt8(ascii: "0")...UInt8(ascii: "2")).contains(rest[i + 2]) && rest[i + 3] == UInt8(ascii: ")") {
                        syllables += 1
                    }
                }
                if syllables > 0 && map[word] == nil { map[word] = syllables }
            }
        }
        dictionary = map
    }

    /// Whether a pronouncing dictionary was loaded.
    public var hasDictionary: Bool { !dictionary.isEmpty }

    public func syllables(_ word: String) -> Int {
        let w = word.lowercased().trimmingCharacters(in: .punctuationCharacters)
        guard !w.isEmpty else { return 0 }
        if let n = dictionary[w] { return n }
        return Self.vowelGroups(w)
    }

    /// Vowel groups, less a silent final e (not in "-le"), at least one.
    static func vowelGroups(_ word: String) -> Int {
        let letters = Array(word.filter(\.isLetter))
        guard !letters.isEmpty else { return 0 }
        let vowels: Set<Character> = ["a", "e", "i", "o", "u", "y"]
        var count = 0
        var inGroup = false
        for c in letters {
            let v = vowels.contains(c)
            if v && !inGroup { count += 1 }
            inGroup = v
        }
        if letters.count > 2 && letters.last == "e" && letters[letters.count - 2] != "l"
            && !vowels.contains(letters[letters.count - 2]) && count > 1 {
            count -= 1
        }
        return max(1, count)
    }
}
