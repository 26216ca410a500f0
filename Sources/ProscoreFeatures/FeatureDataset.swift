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
