/// How a head turns its encoder layers (each mean-pooled over time) into regression columns.
public enum LayerPooling: String, Sendable, Equatable, Codable, CaseIterable {
    /// SUPERB-style: one vector, the layers mixed by softmax weights of their probe correlations.
    case weightedMix = "weighted-mix"
    /// The layers side by side, each dimension its own column (the ridge weighs them).
    case concatenated
}

/// A proficiency head: encoder layers (each mean-pooled over time, mixed or side by side),
/// optionally joined with other features (text, fluency) — those through a `FeatureBasis` when
/// the head has one — mapped linearly to scores on the 0–10 scale.
public struct ProficiencyHead: Sendable, Equatable, Codable {
    /// Hidden-state indices the head reads, and how they are pooled.
    public var layers: [Int]
    public var layerPooling: LayerPooling
    /// Mixing weights (summing to 1) of a weighted mix; empty when concatenated.
    public var layerWeights: [Double]
    /// Score names, e.g. accuracy, fluency, prosodic, total.
    public var targets: [String]
    /// Names of the extra features appended after the layer mix, in order.
    public var extraFeatures: [String]
    /// The expansion the extras go through before the regression (nil: used as they are).
    public var extraBasis: FeatureBasis?
    public var regression: RidgeRegression
    public var lambda: Double
    /// λ's multiplier on the named features' columns when the head was fitted (1: the same λ).
    public var namedFeaturePenalty: Double
    /// Read-aloud heads: the lowest aligned gap per reference token (nats) among the
    /// readings the head was fitted on, less `readingGapMargin`. A whole reading under it
    /// does not follow its reference (another text was read, or a third of this one), a
    /// reading no head saw: it gets no read-aloud scores. Nil in free-speech heads and in
    /// heads written before the floor was kept.
    public var readingGapFloor: Double?
    public static let readingGapMargin = 0.25

    public init(layers: [Int], layerPooling: LayerPooling = .weightedMix, layerWeights: [Double], targets: [String],
                extraFeatures: [String], extraBasis: FeatureBasis? = nil, regression: RidgeRegression, lambda: Double,
                namedFeaturePenalty: Double = 1, readingGapFloor: Double? = nil) {
        self.layers = layers
        self.layerPooling = layerPooling
        self.layerWeights = layerWeights
        self.targets = targets
        self.extraFeatures = extraFeatures
        self.extraBasis = extraBasis
        self.regression = regression
        self.lambda = lambda
        self.namedFeaturePenalty = namedFeaturePenalty
        self.readingGapFloor = readingGapFloor
    }

    /// Regression columns the layers take for an encoder whose hidden states have `hiddenSize`.
    public func layerColumnCount(hiddenSize: Int) -> Int {
        layers.isEmpty ? 0 : layerPooling == .concatenated ? layers.count * hiddenSize : hiddenSize
    }

    /// Regression columns the extras take: their basis expansion, or one each.
    public var extraColumnCount: Int { extraBasis?.outputCount ?? extraFeatures.count }

    /// Scores from per-layer pooled features (`[layers][dim]`, in `layers` order) and extras.
    public func predict(pooled: [[Float]], extras: [Double] = []) -> [String: Double] {
        let row = Self.features(pooled: pooled, pooling: layerPooling, weights: layerWeights, extras: extraBasis?.expand(extras) ?? extras)
        let values = regression.predict(row)
        return Dictionary(uniqueKeysWithValues: zip(targets, values.map { min(10, max(0, $0)) }))
    }

    /// The layers (mixed by `weights`, or side by side) followed by the extras.
    public static func features(pooled: [[Float]], pooling: LayerPooling, weights: [Double], extras: [Double]) -> [Double] {
        if pooling == .concatenated { return pooled.flatMap { $0.map(Double.init) } + extras }
        var mix = [Double](repeating: 0, count: pooled.first?.count ?? 0)
        for (layer, w) in zip(pooled, weights) { for j in mix.indices { mix[j] += w * Double(layer[j]) } }
        return mix + extras
    }

    /// Softmax of per-layer probe correlations at `temperature` (lower: sharper).
    public static func layerWeights(fromProbeCorrelations r: [Double], temperature: Double = 0.05) -> [Double] {
        let m = r.max() ?? 0
        let e = r.map { exp(($0 - m) / temperature) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

#if canImport(Glibc)
import Glibc
#endif
