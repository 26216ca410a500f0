import ArgumentParser
import Foundation
import ProscoreFeatures
import ProscorePipeline
import ProscoreScoring

extension HeadKind: ExpressibleByArgument {}
extension LayerPooling: ExpressibleByArgument {}

/// Targets shared by train, probe and evaluate.
struct TargetOptions: ParsableArguments {
    @Option(help: "Scores to fit, comma-separated (speechocean762 names).") var targets = "accuracy,fluency,prosodic,total"
    @Option(help: "Cross-validation folds (by speaker).") var folds = 5
    @Flag(help: "Join BERT's pooled text features (if extracted) to the layer mix.") var withText = false
    @Flag(help: "Join the utterance's fluency features (speech rate, pauses, …) to the layer mix.") var withFluency = false
    @Flag(help: "Use the fluency features alone (a head that works with any encoder).") var fluencyOnly = false
    @Option(help: "Serving-path folders: free (no reference) or read-aloud (adds forced-alignment evidence).") var kind: HeadKind = .free
    @Option(help: "Serving-path folders: the window features to read, comma-separated (default: all of --kind's).") var features: String?
    @Option(help: "How encoder layers become regression columns: weighted-mix (one vector, the layers mixed by the softmax of their probe correlations, as DESIGN.md defines a head) or concatenated (each layer's mean side by side: a wider head for research).")
    var layerPooling: LayerPooling = .weightedMix
    @Flag(help: "Use the named features as they are: no clipping to their training range and no hinges (heads before 2026-12 were fitted so).") var linear = false
    var names: [String] { targets.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        guard (2...20).contains(folds) else { throw ValidationError("--folds must be between 2 and 20.") }
        let unknown = servingNames.filter { !WindowFeatures.readAloudNames.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("Unknown window features: \(unknown.joined(separator: ", ")); known: \(WindowFeatures.readAloudNames.joined(separator: ", ")).")
        }
        // A free-speech head reads what serving has without a reference: score would refuse one that reads the reference's evidence.
        let readAloudOnly = servingNames.filter { !WindowFeatures.freeSpeechNames.contains($0) }
        if kind == .free, features != nil, !readAloudOnly.isEmpty {
            throw ValidationError("--features \(readAloudOnly.joined(separator: ", ")): read-aloud evidence, which a free-speech head cannot read "
                                  + "(there is no reference); use --kind read-aloud, or leave them out.")
        }
        guard !names.isEmpty else { throw ValidationError("--targets needs at least one score name.") }
        let unscorable = names.filter { !ProficiencyScores.names.contains($0) }
        guard unscorable.isEmpty else {
            throw ValidationError("--targets \(unscorable.joined(separator: ", ")): not a score a head predicts; it predicts \(ProficiencyScores.names.joined(separator: ", ")) "
                                  + "(completeness is measured from the reading's alignment, not predicted).")
        }
    }

    /// The window features a serving-path head reads: --features, else all of the kind's.
    var servingNames: [String] {
        features.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? kind.featureNames
    }

    /// The window features the head will read.
    func extraNames(_ folder: String) -> [String] {
        if ServingFeatureExtractor.isServingFolder(folder) { return servingNames }
        return (withFluency || fluencyOnly ? FeatureExtractor.fluencyFeatureNames : []) + (withText ? ["text_pooled"] : [])
    }

    /// Under these, `train` and `evaluate` warn that the head and its numbers mean little.
    static let fewSpeakers = 20, fewUtterances = 200

    /// The labelled examples of `folder` and the folds to use, refused where cross-validation
    /// by speaker cannot mean anything. `needsLayers`: probe reads the encoder's layers.
    func loadForFitting(_ folders: FeatureFolders, needsLayers: Bool = false) throws -> (examples: [TrainingExample], layers: [Int], folds: Int) {
        try folders.check()
        let folder = folders.description
        var all: [TrainingExample] = [], layers: [Int] = []
        for path in folders.paths {
            let data = try load(path)
            all += data.examples
            layers = data.layers
        }
        let examples = labelled(all)
        guard !examples.isEmpty else { throw ValidationError("No utterance in \(folder) has labels for \(names.joined(separator: ", ")).") }
        if examples.count < all.count {
            warn("note: \(all.count - examples.count) of \(all.count) utterances lack a label for one of \(names.joined(separator: ", ")) "
                 + "and are left out (fit fewer --targets to use them)")
        }
        let outOfScale = examples.flatMap { e in names.compactMap { e.labels[$0] } }.filter { !(0...10).contains($0) }
        if let worst = outOfScale.max(by: { abs($0) < abs($1) }) {
            throw ValidationError("\(folder): \(outOfScale.count) labels lie outside 0–10 (up to \(String(format: "%g", worst))); a head scores on "
                                  + "speechocean762's 0–10 scale and clamps its output there. Rescale the manifest's labels to 0–10 and extract again.")
        }
        let withoutSpeaker = folders.paths.map(Self.utterancesWithoutSpeaker).reduce(0, +)
        if withoutSpeaker > 0 {
            warn("warning: \(withoutSpeaker) utterances have no \"speaker\" in the manifest, so each counts as a speaker of its own: folds are then "
                 + "by utterance, a speaker's other recordings can sit in the training folds, and the numbers overstate how a head does on new "
                 + "speakers. Give every manifest line its speaker.")
        }
        if needsLayers && layers.isEmpty {
            throw ValidationError(fluencyOnly ? "--fluency-only leaves no encoder layers to probe; probe without it."
                                              : "\(folder) has no pooled encoder layers to probe.")
        }
        let speakers = Set(examples.map(\.speaker)).count
        guard speakers >= 2 else {
            throw ValidationError("\(folder) has \(examples.count) labelled utterances from \(speakers) speaker; folds by speaker need at least 2 speakers (5 or more for numbers worth reading).")
        }
        if speakers < folds {
            warn("note: \(speakers) speakers: \(speakers) folds by speaker instead of \(folds)")
        }
        if speakers < Self.fewSpeakers || examples.count < Self.fewUtterances {
            warn("warning: \(examples.count) labelled utterances from \(speakers) speakers: a head fitted on so few "
                + "will not hold for other speakers, and cross-validated numbers from them are mostly noise (the shipped heads are "
                + "fitted on 125 speakers; at least \(Self.fewSpeakers) speakers and \(Self.fewUtterances) utterances before trusting either)")
        }
        return (examples, layers, min(folds, speakers))
    }

    private func warn(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// Utterances of `folder`'s index whose manifest line named no speaker.
    static func utterancesWithoutSpeaker(_ folder: String) -> Int {
        let path = folder + "/index.jsonl"
        return ServingFeatureExtractor.isServingFolder(folder)
            ? ServingFeatureExtractor.readIndex(path).filter { $0.speaker == nil }.count
            : FeatureExtractor.readIndex(path).filter { $0.speaker == nil }.count
    }

    /// Every example of `folder`, labelled or not.
    func load(_ folder: String) throws -> (examples: [TrainingExample], layers: [Int]) {
        if ServingFeatureExtractor.isServingFolder(folder) {
            if withText || withFluency {
                throw ValidationError("\(folder) holds serving-path features: its heads read the window features serving computes "
                                      + "(--kind, --features); --with-text and --with-fluency belong to offline (--offline) folders.")
            }
            let readAloudOnly = servingNames.filter { !WindowFeatures.freeSpeechNames.contains($0) }
            if !readAloudOnly.isEmpty, ExtractionRecord.read(folder: folder)?.readAloud == false {
                throw ValidationError("\(folder) was extracted without --read-aloud, so it has no \(readAloudOnly.joined(separator: ", ")); "
                                      + "use --kind free, or extract again with --read-aloud into another folder.")
            }
            if kind == .free, features == nil, ExtractionRecord.read(folder: folder)?.readAloud == true {
                warn("note: \(folder) holds readings with their evidence; --kind free (the default) leaves it out: "
                     + "--kind read-aloud fits a read-aloud head")
            }
            let data = try ServingDataset.load(folder: folder, names: servingNames, layers: !fluencyOnly)
            return (data.examples, data.layers)
        }
        if kind != .free || features != nil {
            throw ValidationError("\(folder) holds offline features (extract --offline), which have no window features or read-aloud evidence: "
                                  + "--kind and --features belong to serving-path folders (extract without --offline).")
        }
        var data = try FeatureDataset.load(folder: folder, includeText: withText, includeFluency: withFluency || fluencyOnly)
        if fluencyOnly {
            data.examples = data.examples.map { var e = $0; e.pooled = []; return e }
            data.layers = []
        }
        return (data.examples, data.layers)
    }

    /// The examples that carry every target's label.
    func labelled(_ examples: [TrainingExample]) -> [TrainingExample] {
        examples.filter { e in names.allSatisfy { e.labels[$0] != nil } }
    }
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Fit a proficiency head on an extracted feature folder (ridge regression, layer weights from per-layer probes).")
    @Argument(help: "Folders written by proscore extract with the same settings (their utterances are fitted together).") var features: [String]
    @Option(help: "Output head (…json; a .safetensors is written beside it).") var out: String
    @Option(help: "The encoder's name recorded in the head (default: the model in the folder's extraction.json; 'any CTC encoder (features only)' for a head of named features only). Its fingerprint is recorded from extraction.json whatever the name.")
    var encoder: String?
    @Flag(help: "Replace --out (and the .safetensors beside it) if they exist.") var overwrite = false
    @OptionGroup var targets: TargetOptions

    func validate() throws {
        // Written under another name than the one given, a head would be looked for in vain.
        guard out.hasSuffix(".json") else {
            throw ValidationError("--out \(out): a head is NAME.json (its numbers go beside it as NAME.safetensors); give a name ending in .json.")
        }
    }

    func run() throws {
        // A head is two files side by side: through a link, the weights would land beside its target.
        let json = (out as NSString).deletingPathExtension + ".json"
        if OutputFile.linkTarget(json) != json {
            throw ValidationError("\(json) is a symbolic link; a head is two files side by side (NAME.json, NAME.safetensors), so give --out the real path.")
        }
        let target = try OutputFile.check(json, overwrite: overwrite)
        try OutputFile.check(HeadFile.weightsPath(for: target), overwrite: overwrite)
        let folders = FeatureFolders(paths: features)
        let (examples, layers, folds) = try targets.loadForFitting(folders)
        let extras = targets.extraNames(folders.first)
        let head = HeadTraining.train(examples, layers: layers, targets: targets.names, extraFeatures: extras, folds: folds,
                                      linear: targets.linear, layerPooling: targets.layerPooling)
        // A head of layers belongs to the model its features came from; one of named features only serves any.
        let extraction = folders.record
        let record = head.layers.isEmpty ? nil : extraction
        let encoder = self.encoder ?? record?.model ?? (head.layers.isEmpty ? "any CTC encoder (features only)" : "unknown")
        try HeadFile.write(head, encoder: encoder, encoderFingerprint: record?.modelFingerprint,
                           featurePath: extraction?.path ?? (folders.isServing ? "serving" : "offline"),
                           training: [
            "examples": "\(examples.count)", "speakers": "\(Set(examples.map(\.speaker)).count)", "features": features.joined(separator: " "),
            "kind": folders.isServing ? targets.kind.rawValue + " (serving path)" : "offline features",
            "command": (["proscore"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
        ], to: target)
        let top = head.layerWeights.enumerated().sorted { $0.element > $1.element }.prefix(3)
        let reads = head.layers.isEmpty ? "named features only"
            : head.layerPooling == .concatenated ? "layers \(head.layers.map(String.init).joined(separator: ", ")) side by side"
            : "heaviest layers " + top.map { "\(layers[$0.offset]) (\(String(format: "%.2f", $0.element)))" }.joined(separator: ", ")
        let named = head.extraFeatures.isEmpty || head.layers.isEmpty ? ""
            : ", \(head.extraFeatures.count) named features at λ × \(head.namedFeaturePenalty == 1 ? "1" : "1/\(Int((1 / head.namedFeaturePenalty).rounded()))")"
        print("\(target): \(examples.count) utterances, λ \(head.lambda), \(reads)\(named)")
    }
}

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe", abstract: "Cross-validated Pearson of a ridge probe on each layer alone, per score (folds by speaker).")
    @Argument(help: "Folders written by proscore extract with the same settings.") var features: [String]
    @OptionGroup var targets: TargetOptions

    func validate() throws {
        // Options of train and evaluate that a probe of each layer alone has no use for.
        let unused = [(targets.withText, "--with-text"), (targets.withFluency, "--with-fluency"), (targets.features != nil, "--features"),
                      (targets.layerPooling != .weightedMix, "--layer-pooling"), (targets.linear, "--linear")].filter(\.0).map(\.1)
        guard unused.isEmpty else {
            throw ValidationError("\(unused.joined(separator: ", ")): probe fits each encoder layer alone, without named or text features; "
                                  + "these belong to train and evaluate (compare heads with and without them there).")
        }
    }

    func run() throws {
        let (examples, layers, folds) = try targets.loadForFitting(FeatureFolders(paths: features), needsLayers: true)
        let r = HeadTraining.probe(examples, targets: targets.names, folds: folds)
        print("Pearson of each layer's ridge probe with the labels, cross-validated by speaker (\(examples.count) utterances, "
              + "\(Set(examples.map(\.speaker)).count) speakers, \(folds) folds)")
        print("layer  " + targets.names.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined())
        for (i, row) in r.enumerated() {
            print(String(format: "%5ld  ", layers[i]) + row.map { String(format: "%-10.3f", $0) }.joined())
        }
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Pearson, Spearman and RMSE of the whole training procedure, cross-validated by speaker.")
    @Argument(help: "Folders written by proscore extract with the same settings.") var features: [String]
    @OptionGroup var targets: TargetOptions
    @Flag(help: "One JSON object.") var json = false

    func run() throws {
        let folders = FeatureFolders(paths: features)
        let (examples, layers, folds) = try targets.loadForFitting(folders)
        var rows: [(String, [String: ScoreAgreement])] = [("Proscore", HeadTraining.evaluate(examples, layers: layers, targets: targets.names, folds: folds, linear: targets.linear,
                                                                                                      layerPooling: targets.layerPooling))]
        var gated = 0
        if folders.isServing {
            let data = try folders.paths.map { try ServingDataset.load(folder: $0, names: targets.servingNames, layers: false) }
            gated = data.map(\.gated).reduce(0, +)
            rows.append(("baseline: energy duration + pauses", HeadTraining.evaluate(targets.labelled(data.flatMap(\.baseline)), layers: [],
                                                                                     targets: targets.names, folds: folds, linear: targets.linear)))
            rows.append(("baseline: + reference length", HeadTraining.evaluate(targets.labelled(data.flatMap(\.baselineWithReference)), layers: [],
                                                                               targets: targets.names, folds: folds, linear: targets.linear)))
        }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            let object = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1) })
            // What the numbers rest on, beside them.
            var withCounts = try JSONSerialization.jsonObject(with: try e.encode(object)) as? [String: Any] ?? [:]
            withCounts["utterances"] = examples.count
            withCounts["speakers"] = Set(examples.map(\.speaker)).count
            withCounts["folds"] = folds
            withCounts["gated"] = gated
            print(String(decoding: try JSONSerialization.data(withJSONObject: withCounts, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(examples.count) utterances, \(Set(examples.map(\.speaker)).count) speakers, \(folds) folds by speaker"
              + (gated > 0 ? "; \(gated) refused by the speech gate are left out" : ""))
        for (label, result) in rows {
            print("\n\(label)")
            print("score       Pearson  Spearman  RMSE")
            for name in targets.names {
                let a = result[name]!
                print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "  %7.3f  %8.3f  %5.3f", a.pearson, a.spearman, a.rmse))
            }
        }
    }
}

/// The feature folders a head is fitted on, read as one data set: one folder, or several
/// extracted with the same settings (say, the same speakers' recordings and their quieter
/// copies), never sharing an utterance.
struct FeatureFolders {
    let paths: [String]

    var first: String { paths[0] }
    var description: String { paths.joined(separator: " + ") }
    var isServing: Bool { ServingFeatureExtractor.isServingFolder(first) }
    var record: ExtractionRecord? { ExtractionRecord.read(folder: first) }

    /// Refuses folders whose features were extracted otherwise, of either path, or that hold
    /// one utterance twice (it would count double, and could sit on both sides of a fold).
    func check() throws {
        // A manifest given where its features belong: say what to run, not "no index.jsonl".
        var isFolder: ObjCBool = false
        for path in paths where FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue {
            throw ValidationError("\(path) is a file\(path.hasSuffix(".jsonl") ? " (a manifest?)" : ""); give the feature folder that "
                                  + "`proscore extract \(path) --out FOLDER` writes.")
        }
        guard paths.count > 1 else { return }
        var owner: [String: String] = [:]
        for path in paths {
            guard ServingFeatureExtractor.isServingFolder(path) == isServing else {
                throw ValidationError("\(first) and \(path) hold features of different paths (serving and offline): fit one kind at a time.")
            }
            guard let here = ExtractionRecord.read(folder: path), let there = record else {
                throw ValidationError("\(ExtractionRecord.read(folder: path) == nil ? path : first) has no extraction.json, so whether its features "
                                      + "match the other folders' is unknown: fit it alone, or extract it again.")
            }
            guard here == there else {
                throw ValidationError("\(path) was extracted with other settings than \(first) (\(there.differences(from: here))): "
                                      + "a head fitted on both would learn from two feature paths. Extract them alike.")
            }
            let ids = isServing ? ServingFeatureExtractor.readIndex(path + "/index.jsonl").map(\.id)
                                : FeatureExtractor.readIndex(path + "/index.jsonl").map(\.id)
            for id in ids {
                if let earlier = owner[id] {
                    throw ValidationError("utterance \(id) is in both \(earlier) and \(path): give each utterance once.")
                }
                owner[id] = path
            }
        }
    }
}
