/// A fixed piecewise-linear expansion of a head's named features, learnt from the training
/// rows without their labels: each feature is clipped to its 1st–99th percentile (one
/// stuttered recording or a 40 s pause must not swing a score across the scale) and joined
/// by hinges max(0, x − k) at its 20th, 40th, 60th and 80th percentiles, so that a ridge
/// regression on the expansion can bend (a speech rate beyond fluent speed is no better, a
/// first pause costs more than a tenth).
///
/// Ratings of read speech saturate this way: for the read-aloud head on the named features,
/// the expansion raised each score's Pearson by 0.01–0.02 under 5 folds by speaker on
/// speechocean762's serving-path features, and by 0.01–0.02 on the 20 speakers no head or
/// encoder saw (README, "Scores").
public struct FeatureBasis: Sendable, Equatable, Codable {
    /// Per-feature clipping bounds.
    public var lower: [Double]
    public var upper: [Double]
    /// `[knot][feature]` hinge positions (on the clipped values).
    public var knots: [[Double]]

    public static let clipPercentiles: (lower: Double, upper: Double) = (1, 99)
    public static let knotPercentiles: [Double] = [20, 40, 60, 80]
    /// Heads expand named scalar features only; a pooled text vector (hundreds of dimensions)
    /// among the extras stays linear.
    public static let maxInputs = 64

    public init(lower: [Double], upper: [Double], knots: [[Double]]) {
        precondition(lower.count == upper.count && knots.allSatisfy { $0.count == lower.count },
                     "feature basis: bounds and knots must cover the same features")
        self.lower = lower
        self.upper = upper
        self.knots = knots
    }

    /// Features the basis reads.
    public var inputCount: Int { lower.count }
    /// Columns it produces: the clipped features, then one hinge block per knot.
    public var outputCount: Int { lower.count * (1 + knots.count) }

    /// The basis of `rows` (`[n][features]`, n ≥ 1).
    public static func fit(_ rows: [[Double]]) -> FeatureBasis {
        precondition(!rows.isEmpty, "feature basis: no rows to fit")
        let d = rows[0].count
        let columns = (0..<d).map { j in rows.map { $0[j] }.sorted() }
        let lower = columns.map { percentile($0, clipPercentiles.lower) }
        let upper = columns.map { percentile($0, clipPercentiles.upper) }
        let clipped = (0..<d).map { j in columns[j].map { min(upper[j], max(lower[j], $0)) } }
        let knots = knotPercentiles.map { p in clipped.map { percentile($0, p) } }
        return FeatureBasis(lower: lower, upper: upper, knots: knots)
    }

    /// `row` clipped, followed by its hinges.
    public func expand(_ row: [Double]) -> [Double] {
        precondition(row.count == inputCount, "feature basis: expected \(inputCount) features, got \(row.count)")
        let clipped = row.indices.map { min(upper[$0], max(lower[$0], row[$0])) }
        var out = clipped
        out.reserveCapacity(outputCount)
        for level in knots {
            for j in clipped.indices { out.append(max(0, clipped[j] - level[j])) }
        }
        return out
    }

    /// Linear interpolation between the closest ranks of ascending `sorted` (numpy's default).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard sorted.count > 1 else { return sorted.first ?? 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + fraction * (sorted[above] - sorted[below])
    }
}
