/// How a transcript lines up with the text that was meant to be read aloud.
public struct ReferenceAlignment: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case match(reference: Int, hypothesis: Int)
        case substitution(reference: Int, hypothesis: Int)
        /// A reference word that was not said.
        case omission(reference: Int)
        /// A said word that is not in the reference.
        case insertion(hypothesis: Int)
    }

    public let operations: [Operation]
    public let referenceCount: Int

    /// Share of reference words recognised, 0–1 (1 when the reference is empty).
    public var completeness: Double {
        guard referenceCount > 0 else { return 1 }
        let matched = operations.filter { if case .match = $0 { return true } else { return false } }.count
        return Double(matched) / Double(referenceCount)
    }

    public var omissions: [Int] { operations.compactMap { if case let .omission(r) = $0 { return r } else { return nil } } }
    public var insertions: [Int] { operations.compactMap { if case let .insertion(h) = $0 { return h } else { return nil } } }
    public var substitutions: [(reference: Int, hypothesis: Int)] {
        operations.compactMap { if case let .substitution(r, h) = $0 { return (r, h) } else { return nil } }
    }

    /// Word-level Levenshtein alignment (case- and punctuation-insensitive). A substitution
    /// costs 1 to 1.5 by how different the spellings are, so among equally short alignments
    /// the one pairing similar words ("READ"/"RED") wins.
    public init(reference: [String], hypothesis: [String]) {
        func norm(_ w: String) -> String { ReadingReference.normalise(w) }
        // Words as ids of their distinct spellings, and the substitution cost of each pair of
        // distinct spellings computed once: a long reading repeats few words, and the live
        // pipeline aligns the whole transcript again as it grows.
        var ids: [String: Int] = [:], spellings: [[Character]] = []
        func id(_ w: String) -> Int {
            if let i = ids[w] { return i }
            ids[w] = spellings.count
            spellings.append(Array(w))
            return spellings.count - 1
        }
        let r = reference.map { id(norm($0)) }
        let referenceSpellings = spellings.count  // reference words take the first ids
        let h = hypothesis.map { id(norm($0)) }
        let n = r.count, m = h.count, width = spellings.count
        var pairCost = [Double](repeating: -1, count: referenceSpellings * width)
        func pair(_ a: Int, _ b: Int) -> Double {
            if a == b { return 0 }
            if pairCost[a * width + b] < 0 { pairCost[a * width + b] = 1 + 0.5 * Self.spellingDistance(spellings[a], spellings[b]) }
            return pairCost[a * width + b]
        }
        var cost = [[Double]](repeating: [Double](repeating: 0, count: m + 1), count: n + 1)
        for i in 0...n { cost[i][0] = Double(i) }
        for j in 0...m { cost[0][j] = Double(j) }
        if n > 0 && m > 0 {
            for i in 1...n {
                for j in 1...m {
                    cost[i][j] = min(cost[i - 1][j - 1] + pair(r[i - 1], h[j - 1]), cost[i - 1][j] + 1, cost[i][j - 1] + 1)
                }
            }
        }
        var ops: [Operation] = []
        var i = n, j = m
        while i > 0 || j > 0 {
            if i > 0 && j > 0 && abs(cost[i][j] - (cost[i - 1][j - 1] + pair(r[i - 1], h[j - 1]))) < 1e-9 {
                ops.append(r[i - 1] == h[j - 1] ? .match(reference: i - 1, hypothesis: j - 1) : .substitution(reference: i - 1, hypothesis: j - 1))
                i -= 1; j -= 1
            } else if i > 0 && abs(cost[i][j] - (cost[i - 1][j] + 1)) < 1e-9 {
                ops.append(.omission(reference: i - 1)); i -= 1
            } else {
                ops.append(.insertion(hypothesis: j - 1)); j -= 1
            }
        }
        operations = ops.reversed()
        referenceCount = n
    }

    /// Character edit distance divided by the longer length, 0–1.
    static func spellingDistance(_ a: String, _ b: String) -> Double { spellingDistance(Array(a), Array(b)) }

    static func spellingDistance(_ x: [Character], _ y: [Character]) -> Double {
        guard !x.isEmpty || !y.isEmpty else { return 0 }
        var row = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return Double(x.isEmpty ? y.count : row[y.count]) / Double(max(x.count, y.count))
    }
}
