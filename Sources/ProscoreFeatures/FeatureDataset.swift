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
        var shape = PooledShape.Expected()
        var examples: [TrainingExample] = []
        var extrasCount: (count: Int, id: String)?
        for entry in index {
            let file = try PooledShape.open(entry.file, id: entry.id, folder: folder)
            let rows = try shape.pooled(of: file, id: entry.id, folder: folder)
            var extras: [Double] = []
            // Asked-for features a file lacks are an error: a head would otherwise record features it never read.
            for (asked, name, how) in [(includeFluency, "fluency", "--with-fluency"), (includeText, "text_pooled", "--with-text")]
            where asked && file.entries[name] == nil {
                throw ManifestError(path: folder + "/" + entry.file, detail: "utterance \(entry.id) has no \(name == "fluency" ? "fluency" : "BERT text") "
                                    + "features for \(how)" + (name == "text_pooled" ? ": extract with --text-model to have them, or leave out --with-text" : ""))
            }
            if includeFluency { extras += try file.tensor("fluency").scalars.map(Double.init) }
            if includeText { extras += try file.tensor("text_pooled").scalars.map(Double.init) }
            if let first = extrasCount, first.count != extras.count {
                throw ManifestError(path: folder + "/index.jsonl", detail: "utterance \(entry.id) has \(extras.count) fluency and text values, "
                                    + "utterance \(first.id) \(first.count): the folder mixes two extractions; extract each into its own folder")
            }
            extrasCount = extrasCount ?? (extras.count, entry.id)
            examples.append(TrainingExample(speaker: entry.speaker ?? entry.id, pooled: rows, extras: extras, labels: entry.labels))
        }
        return (examples, shape.layers)
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
        var shape = PooledShape.Expected()
        var examples: [TrainingExample] = [], baseline: [TrainingExample] = [], withReference: [TrainingExample] = []
        var gated = 0
        for entry in index {
            guard let file = entry.file, let named = entry.windowFeatures else { gated += 1; continue }
            var pooled: [[Float]] = []
            if useLayers { pooled = try shape.pooled(of: try PooledShape.open(file, id: entry.id, folder: folder), id: entry.id, folder: folder) }
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
        return (examples, useLayers ? shape.layers : [], baseline, withReference, gated)
    }
}

/// The pooled layers of a feature folder's files, each checked against the first: a folder
/// that mixes two models' or settings' features (merged by hand, say) is refused with the
/// utterance that differs, rather than fitted.
enum PooledShape {
    /// An utterance's feature file, or an error that names it and says what to do.
    static func open(_ file: String, id: String, folder: String) throws -> SafeTensorsFile {
        do {
            return try SafeTensorsFile(path: folder + "/" + file)
        } catch {
            throw ManifestError(path: folder + "/" + file, detail: "utterance \(id)'s features cannot be read (\(error)): "
                                + "run the same extract again to extract it anew")
        }
    }

    struct Expected {
        private(set) var layers: [Int] = []
        private var width: Int?
        private var firstId = ""

        /// `file`'s pooled rows, one per layer.
        mutating func pooled(of file: SafeTensorsFile, id: String, folder: String) throws -> [[Float]] {
            let pooled = try file.tensor("pooled")
            let fileLayers = try file.tensor("layer_indices").scalars.map { Int($0) }
            guard pooled.shape.count == 2, pooled.shape[0] == fileLayers.count else {
                throw ManifestError(path: folder + "/index.jsonl", detail: "utterance \(id)'s features are damaged (pooled \(pooled.shape) "
                                    + "for \(fileLayers.count) layers): run the same extract again to extract it anew")
            }
            if let width {
                guard fileLayers == layers, pooled.shape[1] == width else {
                    throw ManifestError(path: folder + "/index.jsonl", detail: "utterance \(id) has layers \(fileLayers) of width \(pooled.shape[1]), "
                                        + "utterance \(firstId) layers \(layers) of width \(width): the folder mixes features of two models "
                                        + "or settings; extract each into its own folder and train on one")
                }
            } else {
                (layers, width, firstId) = (fileLayers, pooled.shape[1], id)
            }
            return (0..<pooled.shape[0]).map { pooled[$0].scalars }
        }
    }
}
