import Foundation
import ProscoreCheckpoint
import ProscoreScoring

/// An extracted feature folder (`index.jsonl` + `features/`) read back as training examples.
public enum FeatureDataset {
    /// Examples with pooled features for every stored layer, labels, and as extras, when
    /// asked for and present, the utterance's fluency features and BERT's pooled text features.
    public static func load(folder: String, includeText: Bool = false, includeFluency: Bool = false) throws
        -> (examples: [TrainingExample], layers: [Int])
    {
        let index = FeatureExtractor.readIndex(folder + "/index.jsonl")
        guard !index.isEmpty else {
            throw ManifestError(path: folder + "/index.jsonl", detail: "no extracted utterances here; run proscore extract first")
        }
        var layers: [Int] = []
        var examples: [TrainingExample] = []
        for entry in index {
            let file = try SafeTensorsFile(path: folder + "/" + entry.file)
            let pooled = try file.tensor("pooled")
            if layers.isEmpty { layers = try file.tensor("layer_indices").scalars.map { Int($0) } }
            let rows = (0..<pooled.shape[0]).map { pooled[$0].scalars }
            var extras: [Double] = []
            if includeFluency, file.entries["fluency"] != nil { extras += try file.tensor("fluency").scalars.map(Double.init) }
            if includeText, file.entries["text_pooled"] != nil { extras += try file.tensor("text_pooled").scalars.map(Double.init) }
            examples.append(TrainingExample(speaker: entry.speaker ?? entry.id, pooled: rows, extras: extras, labels: entry.labels))
        }
        return (examples, layers)
    }
}

/// Which window features a head reads: free speech, or read-aloud (adds the reference's
/// evidence). A head of either kind may also mix the encoder's layers.
public enum HeadKind: String, Sendable, CaseIterable {
    case free
    case readAloud = "read-aloud"

    public var featureNames: [String] { self == .free ? WindowFeatures.freeSpeechNames : WindowFeatures.readAloudNames }
}

/// A serving-path feature folder read back as training examples.
public enum ServingDataset {
    /// Examples for a head reading the window features `names` (with the layers unless `layers` is false), and the
    /// same utterances' trivial-baseline inputs (energy-based duration and pauses, plus the
    /// reference's length when `withReference`). Utterances the gate refused are left out and counted.
    public static func load(folder: String, names: [String], layers useLayers: Bool = true)
        throws -> (examples: [TrainingExample], layers: [Int], baseline: [TrainingExample], baselineWithReference: [TrainingExample], gated: Int)
    {
        let index = ServingFeatureExtractor.readIndex(folder + "/index.jsonl")
        guard !index.isEmpty else {
            throw ManifestError(path: folder + "/index.jsonl", detail: "no extracted utterances here; run proscore extract first")
        }
        var layers: [Int] = []
        var examples: [TrainingExample] = [], baseline: [TrainingExample] = [], withReference: [TrainingExample] = []
        var gated = 0
        for entry in index {
            guard let file = entry.file, let named = entry.windowFeatures else { gated += 1; continue }
            var pooled: [[Float]] = []
            if useLayers {
                let f = try SafeTensorsFile(path: folder + "/" + file)
                let p = try f.tensor("pooled")
                if layers.isEmpty { layers = try f.tensor("layer_indices").scalars.map { Int($0) } }
                pooled = (0..<p.shape[0]).map { p[$0].scalars }
            }
            let speaker = entry.speaker ?? entry.id
            let extras = names.compactMap { named[$0] }
            guard extras.count == names.count else {
                let missing = names.filter { named[$0] == nil }.joined(separator: ", ")
                throw ManifestError(path: folder + "/index.jsonl", detail: "utterance \(entry.id) has no \(missing) "
                                    + "(extracted by an older Proscore; see its extraction.json): extract again into another folder, "
                                    + "or name the window features it has with --features")
            }
            examples.append(TrainingExample(speaker: speaker, pooled: pooled, extras: extras, labels: entry.labels))
            let energy = TrivialBaseline.energyNames.map { entry.baseline[$0] ?? 0 }
            baseline.append(TrainingExample(speaker: speaker, pooled: [], extras: energy, labels: entry.labels))
            withReference.append(TrainingExample(speaker: speaker, pooled: [],
                                                 extras: energy + TrivialBaseline.referenceNames.map { entry.baseline[$0] ?? 0 }, labels: entry.labels))
        }
        return (examples, useLayers ? layers : [], baseline, withReference, gated)
    }
}
