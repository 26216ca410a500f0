/// Agreement between predictions and human ratings.
public enum Statistics {
    public static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    /// Pearson correlation (0 when either side is constant).
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "pearson: lengths differ")
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            let a = x[i] - mx, b = y[i] - my
            sxy += a * b; sxx += a * a; syy += b * b
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }

    /// Spearman rank correlation (average ranks for ties).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double { pearson(ranks(x), ranks(y)) }

    public static func rmse(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "rmse: lengths differ")
        return x.isEmpty ? 0 : (zip(x, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(x.count)).squareRoot()
    }

    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = rank }
            i = j + 1
        }
        return r
    }
}

/// Folds that never split a speaker: every utterance of a speaker lands in the same fold.
public enum SpeakerFolds {
    /// Fold index per item, `folds` folds, speakers assigned round-robin in sorted order of a
    /// seeded hash (deterministic, balanced in speaker count).
    public static func assign(speakers: [String], folds: Int, seed: UInt64 = 762) -> [Int] {
        let unique = Array(Set(speakers)).sorted { hash($0, seed) < hash($1, seed) }
        var fold: [String: Int] = [:]
        for (i, s) in unique.enumerated() { fold[s] = i % max(1, folds) }
        return speakers.map { fold[$0]! }
    }

    static func hash(_ s: String, _ seed: UInt64) -> UInt64 {
        var h: UInt64 = 1469598103934665603 ^ seed
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return h
    }
}
