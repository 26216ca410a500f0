import Foundation
import ProscoreCheckpoint
import ProscoreTensor

/// A head file that cannot be used, and why.
public struct HeadFileError: Error, CustomStringConvertible, LocalizedError {
    public let path: String
    public let detail: String
    public var description: String { "\(path): \(detail)" }
    public var errorDescription: String? { description }
}

/// What a head was trained on, as its file records it.
public struct HeadProvenance: Sendable, Equatable {
    /// The encoder's path as training named it (or what `train --encoder` said).
    public var encoder: String
    /// `CheckpointFingerprint` of the encoder whose features trained the head (absent in
    /// heads trained before fingerprints were kept, and in heads of named features only).
    public var encoderFingerprint: String?
    /// `serving` or `offline`: which extraction the features came from (absent: unknown).
    public var featurePath: String?
}

/// A head on disk: `NAME.json` (what it belongs to and how it was made) beside
/// `NAME.safetensors` (the numbers).
public enum HeadFile {
    struct Description: Codable {
        var encoder: String
        var layers: [Int]
        /// "concatenated", or absent for a weighted mix (every head before 2026-12-07).
        var layerPooling: LayerPooling?
        var layerWeights: [Double]
        var targets: [String]
        var extraFeatures: [String]
        var lambda: Double
        /// λ's multiplier on the named features' columns (absent: 1, as in heads before 2026-12-07).
        var namedFeaturePenalty: Double?
        var normalisation = "features standardised with the stored mean and scale; outputs clamped to 0–10"
        /// How the extras are expanded (absent in heads written before the basis existed).
        var featureBasis: String?
        var encoderFingerprint: String?
        var featurePath: String?
        /// Read-aloud heads: see `ProficiencyHead.readingGapFloor` (absent: no floor).
        var readingGapFloor: Double?
        var training: [String: String]

        enum CodingKeys: String, CodingKey {
            case encoder, layers, targets, lambda, normalisation, training
            case encoderFingerprint = "encoder_fingerprint", featurePath = "feature_path"
            case layerPooling = "layer_pooling", layerWeights = "layer_weights", extraFeatures = "extra_features", featureBasis = "feature_basis",
                 namedFeaturePenalty = "named_feature_penalty", readingGapFloor = "reading_gap_floor"
        }
    }

    /// The .safetensors file beside a head's JSON, which holds its weights.
    public static func weightsPath(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".safetensors"
    }

    /// Writes `path` (…json) and its .safetensors sibling.
    public static func write(_ head: ProficiencyHead, encoder: String, encoderFingerprint: String? = nil, featurePath: String? = nil,
                             training: [String: String], to path: String) throws {
        let base = (path as NSString).deletingPathExtension
        let d = head.regression.featureMean.count, k = head.targets.count
        var tensors: [(name: String, tensor: Tensor)] = [
            ("weights", .init(shape: [d, k], scalars: head.regression.weights.flatMap { $0.map(Float.init) })),
            ("intercept", .init(shape: [k], scalars: head.regression.intercept.map(Float.init))),
            ("feature_mean", .init(shape: [d], scalars: head.regression.featureMean.map(Float.init))),
            ("feature_scale", .init(shape: [d], scalars: head.regression.featureScale.map(Float.init))),
        ]
        if let basis = head.extraBasis {
            let e = basis.inputCount
            tensors += [
                ("extra_clip_lower", .init(shape: [e], scalars: basis.lower.map(Float.init))),
                ("extra_clip_upper", .init(shape: [e], scalars: basis.upper.map(Float.init))),
                ("extra_knots", .init(shape: [basis.knots.count, e], scalars: basis.knots.flatMap { $0.map(Float.init) })),
            ]
        }
        try SafeTensorsWriter.write(tensors, to: weightsPath(for: path),
                                    metadata: ["format": head.extraBasis == nil ? "proscore-head-1" : "proscore-head-2"])
        var description = Description(encoder: encoder, layers: head.layers,
                                      layerPooling: head.layerPooling == .weightedMix ? nil : head.layerPooling,
                                      layerWeights: head.layerWeights, targets: head.targets,
                                      extraFeatures: head.extraFeatures, lambda: head.lambda,
                                      namedFeaturePenalty: head.namedFeaturePenalty == 1 ? nil : head.namedFeaturePenalty,
                                      encoderFingerprint: encoderFingerprint, featurePath: featurePath,
                                      readingGapFloor: head.readingGapFloor, training: training)
        if let basis = head.extraBasis {
            description.featureBasis = "extras clipped to their training 1st–99th percentiles, joined by hinges max(0, x − k) at their "
                + "\(basis.knots.count) training quantiles (extra_clip_lower/upper, extra_knots); then standardised"
        }
        let encoderJSON = JSONEncoder()
        encoderJSON.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoderJSON.encode(description).write(to: URL(fileURLWithPath: base + ".json"), options: .atomic)
    }

    /// Reads a head, the encoder it says it belongs to, and what it says it was trained on.
    /// Heads written before `feature_path` was kept say so in their training record's kind.
    public static func read(path: String) throws -> (head: ProficiencyHead, encoder: String, provenance: HeadProvenance) {
        let ext = (path as NSString).pathExtension
        guard ["", "json", "safetensors"].contains(ext) else {
            throw HeadFileError(path: path, detail: "not a head: a head is NAME.json with NAME.safetensors beside it (heads live in configs/heads/)")
        }
        let base = (path as NSString).deletingPathExtension
        guard let data = FileManager.default.contents(atPath: base + ".json") else {
            throw HeadFileError(path: base + ".json", detail: "no such head file (heads live in configs/heads/; --head none switches scores off)")
        }
        let d: Description
        do { d = try JSONDecoder().decode(Description.self, from: data) } catch {
            throw HeadFileError(path: base + ".json", detail: "not a Proscore head: \(error)")
        }
        guard FileManager.default.fileExists(atPath: base + ".safetensors") else {
            throw HeadFileError(path: base + ".safetensors",
                                detail: "missing: a head is two files, NAME.json and the NAME.safetensors that holds its weights; copy both")
        }
        let file = try SafeTensorsFile(path: base + ".safetensors")
        let w = try file.tensor("weights")
        let k = d.targets.count
        guard w.rank == 2, w.shape[1] == k else {
            throw HeadFileError(path: base + ".safetensors", detail: "weights do not match the \(k) targets in the JSON")
        }
        let pooling = d.layerPooling ?? .weightedMix
        guard pooling == .concatenated ? d.layerWeights.isEmpty : d.layers.isEmpty || d.layerWeights.count == d.layers.count else {
            throw HeadFileError(path: base + ".json", detail: pooling == .concatenated
                ? "layer_weights must be empty when the layers are concatenated"
                : "\(d.layerWeights.count) layer_weights for \(d.layers.count) layers")
        }
        var basis: FeatureBasis?
        if file.names.contains("extra_knots") {
            let lower = try file.tensor("extra_clip_lower"), upper = try file.tensor("extra_clip_upper"), knots = try file.tensor("extra_knots")
            let e = lower.scalars.count
            guard upper.scalars.count == e, knots.rank == 2, knots.shape[1] == e, e == d.extraFeatures.count else {
                throw HeadFileError(path: base + ".safetensors", detail: "the feature basis does not match the \(d.extraFeatures.count) extra features in the JSON")
            }
            basis = FeatureBasis(lower: lower.scalars.map(Double.init), upper: upper.scalars.map(Double.init),
                                 knots: (0..<knots.shape[0]).map { r in (0..<e).map { Double(knots.scalars[r * e + $0]) } })
        }
        let regression = RidgeRegression(
            featureMean: try file.tensor("feature_mean").scalars.map(Double.init),
            featureScale: try file.tensor("feature_scale").scalars.map(Double.init),
            weights: (0..<w.shape[0]).map { i in (0..<k).map { Double(w.scalars[i * k + $0]) } },
            intercept: try file.tensor("intercept").scalars.map(Double.init))
        return (ProficiencyHead(layers: d.layers, layerPooling: pooling, layerWeights: d.layerWeights, targets: d.targets,
                                extraFeatures: d.extraFeatures, extraBasis: basis, regression: regression, lambda: d.lambda,
                                namedFeaturePenalty: d.namedFeaturePenalty ?? 1, readingGapFloor: d.readingGapFloor), d.encoder,
                HeadProvenance(encoder: d.encoder, encoderFingerprint: d.encoderFingerprint,
                               featurePath: d.featurePath ?? (d.training["kind"] == "offline features" ? "offline" : nil)))
    }
}
