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
    public static let lambdas: [Double] = [1, 10, 100, 1_000, 10_000]

    /// Cross-validated Pearson per layer (rows) and target (columns): a ridge probe on each
    /// layer alone, folds by speaker.
    public static func probe(_ examples: [TrainingExample], targets: [String], folds: Int = 5, lambda: Double = 100) -> [[Double]] {
        let layerCount = examples.first?.pooled.count ?? 0
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        return (0..<layerCount).map { l in
            let x = examples.map { $0.pooled[l].map(Double.init) }
            let predictions = crossValidated(x: x, examples: examples, targets: targets, foldOf: foldOf, folds: folds) { _ in lambda }
            return targets.indices.map { t in Statistics.pearson(predictions.map { $0[t] }, examples.map { $0.labels[targets[t]] ?? 0 }) }
        }
    }

    /// Trains a head on all `examples`: layer weights from per-layer probes, the extras'
    /// `FeatureBasis` from their values (unless `linear`), λ by inner speaker-CV, then ridge
    /// on everything.
    public static func train(_ examples: [TrainingExample], layers: [Int], targets: [String], extraFeatures: [String] = [],
                             folds: Int = 5, linear: Bool = false) -> ProficiencyHead {
        let r = probe(examples, targets: targets, folds: folds)
        let weights = ProficiencyHead.layerWeights(fromProbeCorrelations: r.map { Statistics.mean($0) })
        let extraCount = examples.first?.extras.count ?? 0
        let basis = linear || !(1...FeatureBasis.maxInputs).contains(extraCount) ? nil : FeatureBasis.fit(examples.map(\.extras))
        let x = examples.map { ProficiencyHead.features(pooled: $0.pooled, weights: weights, extras: basis?.expand($0.extras) ?? $0.extras) }
        let y = examples.map { e in targets.map { e.labels[$0] ?? 0 } }
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        let lambda = lambdas.max { a, b in
            score(x: x, examples: examples, targets: targets, foldOf: foldOf, folds: folds, lambda: a)
                < score(x: x, examples: examples, targets: targets, foldOf: foldOf, folds: folds, lambda: b)
        }!
        return ProficiencyHead(layers: layers, layerWeights: weights, targets: targets, extraFeatures: extraFeatures,
                               extraBasis: basis, regression: RidgeRegression.fit(features: x, targets: y, lambda: lambda), lambda: lambda)
    }

    /// The whole training procedure cross-validated by speaker: each fold's head is trained
    /// without that fold's speakers and scores them.
    public static func evaluate(_ examples: [TrainingExample], layers: [Int], targets: [String], folds: Int = 5,
                                linear: Bool = false) -> [String: ScoreAgreement]
    {
        let foldOf = SpeakerFolds.assign(speakers: examples.map(\.speaker), folds: folds)
        var predictions = [[Double]](repeating: [], count: examples.count)
        for f in 0..<folds {
            let train = examples.indices.filter { foldOf[$0] != f }
            let test = examples.indices.filter { foldOf[$0] == f }
            guard !train.isEmpty, !test.isEmpty else { continue }
            let head = HeadTraining.train(train.map { examples[$0] }, layers: layers, targets: targets, folds: max(2, folds - 1),
                                          linear: linear)
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

    static func crossValidated(x: [[Double]], examples: [TrainingExample], targets: [String], foldOf: [Int], folds: Int,
                               lambda: (Int) -> Double) -> [[Double]] {
        var predictions = [[Double]](repeating: [Double](repeating: 0, count: targets.count), count: x.count)
        for f in 0..<folds {
            let train = x.indices.filter { foldOf[$0] != f }
            guard !train.isEmpty else { continue }
            let model = RidgeRegression.fit(features: train.map { x[$0] },
                                            targets: train.map { i in targets.map { examples[i].labels[$0] ?? 0 } },
                                            lambda: lambda(f))
            for i in x.indices where foldOf[i] == f { predictions[i] = model.predict(x[i]) }
        }
        return predictions
    }

    static func score(x: [[Double]], examples: [TrainingExample], targets: [String], foldOf: [Int], folds: Int, lambda: Double) -> Double {
        let p = crossValidated(x: x, examples: examples, targets: targets, foldOf: foldOf, folds: folds) { _ in lambda }
        return Statistics.mean(targets.indices.map { t in Statistics.pearson(p.map { $0[t] }, examples.map { $0.labels[targets[t]] ?? 0 }) })
    }
}
