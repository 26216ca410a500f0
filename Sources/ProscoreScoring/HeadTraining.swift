import Foundation

/// One labelled utterance as the trainers see it.
public struct TrainingExample: Sendable {
    public var speaker: String
    /// Mean-pooled hidden states, `[layers][dim]`.
    public var pooled: [[Float]]
    public var extras: [Double]
    public var labels: [String: Double]

    public init(speaker: String, pooled: [[Float]], extras: [Double] = [], labels: [String: Double]) {
        self.speaker = speaker; self.pooled = pooled; self.extras = extras; self.labels = labels
    }
}

/// Correlation, rank correlation and error of one score against human ratings.
public struct ScoreAgreement: Sendable, Equatable, Codable {
    public var pearson: Double
    public var spearman: Double
    public var rmse: Double
    public var count: Int
}

/// Fits heads, probes layers and evaluates, always cross-validated by speaker.
public enum HeadTraining {
    /// The ridge penalties tried, by inner speaker-CV: half-decades from 1 to 10⁵.
    public static let lambdas: [Double] = (0...10).map { Foundation.pow(10, Double($0) / 2).rounded() }

    /// Multipliers of λ on the named features' columns beside encoder layers, chosen with λ by
    /// the same inner speaker-CV. One named feature (speech rate, a pause measure, a word's
    /// goodness of pronunciation) may carry more than one dimension of a pooled hidden state;
    /// at one λ for all, the ridge shrinks a read-aloud head's 27 features (135 columns with
    /// their hinges) as hard as each of 512 layer dimensions.
    public static let namedFeaturePenalties: [Double] = [1, 1.0 / 4, 1.0 / 16]

    /// Cross-validated Pearson per layer (rows) and target (columns): a ridge probe on each
    /// layer alone, folds by speaker.
    public static func probe(_ examples: [TrainingExample], targets: [String], folds: Int = 5, lambda: Double = 100) -> [[Double]] {
        let layerCount = examples.first?.pooled.count ?? 0
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        let y = labelRows(examples, targets: targets), labels = labelColumns(y, count: targets.count)
        return (0..<layerCount).map { l in
            let x = examples.map { $0.pooled[l].map(Double.init) }
            let predictions = crossValidated(x: x, y: y, foldOf: foldOf, folds: folds, settings: [(lambda, nil)])[0]
            return targets.indices.map { t in Statistics.pearson(predictions.map { $0[t] }, labels[t]) }
        }
    }

    /// Trains a head on all `examples`: the layers pooled as `layerPooling` says (a weighted
    /// mix takes its weights from per-layer probes), the extras' `FeatureBasis` from their
    /// values (unless `linear`), λ and the named features' penalty by inner speaker-CV, then
    /// ridge on everything.
    public static func train(_ examples: [TrainingExample], layers: [Int], targets: [String], extraFeatures: [String] = [],
                             folds: Int = 5, linear: Bool = false, layerPooling: LayerPooling = .weightedMix) -> ProficiencyHead {
        let hasLayers = !(examples.first?.pooled.isEmpty ?? true)
        let weights: [Double]
        if hasLayers && layerPooling == .weightedMix {
            weights = ProficiencyHead.layerWeights(fromProbeCorrelations: probe(examples, targets: targets, folds: folds).map { Statistics.mean($0) })
        } else {
            weights = []
        }
        let extraCount = examples.first?.extras.count ?? 0
        let basis = linear || !(1...FeatureBasis.maxInputs).contains(extraCount) ? nil : FeatureBasis.fit(examples.map(\.extras))
        let x = examples.map {
            ProficiencyHead.features(pooled: $0.pooled, pooling: layerPooling, weights: weights, extras: basis?.expand($0.extras) ?? $0.extras)
        }
        let y = labelRows(examples, targets: targets)
        let extraColumns = basis?.outputCount ?? extraCount
        let layerColumns = (x.first?.count ?? 0) - extraColumns
        // λ, and with layers and named features together the named features' multiplier of it.
        let multipliers = hasLayers && extraColumns > 0 ? namedFeaturePenalties : [1]
        func penalty(_ multiplier: Double) -> [Double]? {
            multiplier == 1 ? nil : [Double](repeating: 1, count: layerColumns) + [Double](repeating: multiplier, count: extraColumns)
        }
        let choices = multipliers.flatMap { m in lambdas.map { (lambda: $0, multiplier: m) } }
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        let predictions = crossValidated(x: x, y: y, foldOf: foldOf, folds: folds,
                                         settings: choices.map { ($0.lambda, penalty($0.multiplier)) })
        let labels = labelColumns(y, count: targets.count)
        let meanPearson = predictions.map { p in Statistics.mean(targets.indices.map { t in Statistics.pearson(p.map { $0[t] }, labels[t]) }) }
        let best = choices[meanPearson.indices.max { meanPearson[$0] < meanPearson[$1] }!]
        return ProficiencyHead(layers: hasLayers ? layers : [], layerPooling: layerPooling, layerWeights: weights, targets: targets,
                               extraFeatures: extraFeatures, extraBasis: basis,
                               regression: RidgeRegression.fit(features: x, targets: y, lambda: best.lambda, penalty: penalty(best.multiplier)),
                               lambda: best.lambda, namedFeaturePenalty: best.multiplier,
                               readingGapFloor: readingGapFloor(examples, extraFeatures: extraFeatures))
    }

    /// A read-aloud head's floor (`ProficiencyHead.readingGapFloor`): the lowest aligned gap
    /// per reference token among its readings, less the margin. Nil without that feature.
    static func readingGapFloor(_ examples: [TrainingExample], extraFeatures: [String]) -> Double? {
        guard let column = extraFeatures.firstIndex(of: "aligned_gap_per_token"),
              let lowest = examples.map({ $0.extras[column] }).filter({ $0 > ReadAloudEvidence.unaligned }).min() else { return nil }
        return lowest - ProficiencyHead.readingGapMargin
    }

    /// The whole training procedure cross-validated by speaker: each fold's head is trained
    /// without that fold's speakers and scores them.
    public static func evaluate(_ examples: [TrainingExample], layers: [Int], targets: [String], folds: Int = 5,
                                linear: Bool = false, layerPooling: LayerPooling = .weightedMix) -> [String: ScoreAgreement]
    {
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        var predictions = [[Double]](repeating: [], count: examples.count)
        for f in 0..<folds {
            let train = examples.indices.filter { foldOf[$0] != f }
            let test = examples.indices.filter { foldOf[$0] == f }
            guard !train.isEmpty, !test.isEmpty else { continue }
            let head = HeadTraining.train(train.map { examples[$0] }, layers: layers, targets: targets, folds: max(2, folds - 1),
                                          linear: linear, layerPooling: layerPooling)
            for i in test {
                let p = head.predict(pooled: examples[i].pooled, extras: examples[i].extras)
                predictions[i] = targets.map { p[$0]! }
            }
        }
        var result: [String: ScoreAgreement] = [:]
        for (t, name) in targets.enumerated() {
            let idx = examples.indices.filter { !predictions[$0].isEmpty }
            let p = idx.map { predictions[$0][t] }, y = idx.map { examples[$0].labels[name] ?? 0 }
            result[name] = ScoreAgreement(pearson: Statistics.pearson(p, y), spearman: Statistics.spearman(p, y),
                                          rmse: Statistics.rmse(p, y), count: idx.count)
        }
        return result
    }

    /// Each example's labels in `targets` order (0 where one is missing): `[example][target]`.
    static func labelRows(_ examples: [TrainingExample], targets: [String]) -> [[Double]] {
        examples.map { e in targets.map { e.labels[$0] ?? 0 } }
    }

    /// `[target][example]` of label rows.
    static func labelColumns(_ rows: [[Double]], count: Int) -> [[Double]] {
        (0..<count).map { t in rows.map { $0[t] } }
    }

    /// Out-of-fold predictions `[setting][example][target]` of `y` (`[example][target]`): one
    /// ridge problem per fold, solved for every λ and penalty of `settings`.
    static func crossValidated(x: [[Double]], y: [[Double]], foldOf: [Int], folds: Int,
                               settings: [(lambda: Double, penalty: [Double]?)]) -> [[[Double]]] {
        let zero = [[Double]](repeating: [Double](repeating: 0, count: y.first?.count ?? 0), count: x.count)
        var predictions = [[[Double]]](repeating: zero, count: settings.count)
        for f in 0..<folds {
            let train = x.indices.filter { foldOf[$0] != f }
            guard !train.isEmpty else { continue }
            let problem = RidgeProblem(features: train.map { x[$0] }, targets: train.map { y[$0] })
            for (s, setting) in settings.enumerated() {
                let model = problem.solve(lambda: setting.lambda, penalty: setting.penalty)
                for i in x.indices where foldOf[i] == f { predictions[s][i] = model.predict(x[i]) }
            }
        }
        return predictions
    }
}
