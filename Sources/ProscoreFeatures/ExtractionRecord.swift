import Foundation
import ProscoreCheckpoint
import ProscorePipeline

/// What a feature folder was extracted with, kept in `OUT/extraction.json`: rerunning
/// `extract` into the folder resumes only with the same settings, so one folder never mixes
/// features of two models, presets or kinds (a head trained on such a folder would learn
/// from two feature paths at once).
public struct ExtractionRecord: Sendable, Equatable, Codable {
    /// What the features are, as this code computes them: changed whenever a change to the
    /// pipeline changes the features of the same audio (so an older folder is not resumed).
    public static let currentFeaturesVersion = "2026-12-07c: measures and pooled layers over the speaker's extent (silence before the first and after the last speech left out)"
    /// The offline path's: one pass over the whole recording, every frame pooled.
    public static let offlineFeaturesVersion = "2026-12-08: offline, pooled layers and fluency measures over the whole recording (every frame, silence at the edges included)"

    /// `serving` or `offline`.
    public var path: String
    public var model: String
    /// The model's fingerprint (CheckpointFingerprint): the same path may hold another model.
    public var modelFingerprint: String?
    public var featuresVersion: String?
    /// Serving: the settings the preset resolved to (streaming, endpoint, window, pause) and
    /// whether texts were references. Offline: layers, frames, storage and text model.
    public var preset: String?
    public var readAloud: Bool?
    public var precision: String
    public var layers: [Int]?
    public var sequential: Bool?
    public var float16: Bool?
    public var textModel: String?
    /// Offline: what BERT read ("transcript"; absent in folders made when it read the reference).
    public var textSource: String?

    enum CodingKeys: String, CodingKey {
        case path, model, preset, precision, layers, sequential, float16
        case readAloud = "read_aloud", textModel = "text_model", modelFingerprint = "model_fingerprint", textSource = "text_source"
        case featuresVersion = "features_version"
    }

    public init(path: String, model: String, preset: String? = nil, readAloud: Bool? = nil, precision: String, layers: [Int]? = nil,
                sequential: Bool? = nil, float16: Bool? = nil, textModel: String? = nil) {
        self.path = path; self.model = model; self.preset = preset; self.readAloud = readAloud; self.precision = precision
        self.layers = layers; self.sequential = sequential; self.float16 = float16; self.textModel = textModel
        textSource = textModel == nil ? nil : "transcript"
        // `model` may be named relative to the installation (Installation.portable): the
        // fingerprint is of the directory it names from wherever extract runs.
        modelFingerprint = CheckpointFingerprint.of(directory: Installation.resolve(model))
        featuresVersion = path == "offline" ? Self.offlineFeaturesVersion : Self.currentFeaturesVersion
    }

    public static func file(in folder: String) -> String { folder + "/extraction.json" }

    /// The record of `folder`, if it has a readable one.
    public static func read(folder: String) -> Self? {
        FileManager.default.contents(atPath: file(in: folder)).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }

    /// Records these settings in a new (or empty) folder, or checks them against the folder's
    /// record. A folder that has files but no record (features of unknown settings, or not a
    /// feature folder at all) is refused: resuming there could mix two feature paths or
    /// overwrite files `extract` did not make.
    public func claim(_ folder: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw ManifestError(path: folder, detail: "is a file; --out names the folder the features go into: give a new folder")
        }
        let path = Self.file(in: folder)
        if let data = FileManager.default.contents(atPath: path) {
            guard let earlier = try? JSONDecoder().decode(Self.self, from: data) else {
                throw ManifestError(path: path, detail: "cannot be read; it records what the folder was extracted with")
            }
            guard earlier == self else {
                throw ManifestError(path: folder, detail: "was extracted with other settings (\(earlier.differences(from: self))); "
                                    + "give another --out, or the same settings to resume")
            }
            Self.removeInterruptedWrites(in: folder)
            return
        }
        let present = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        if present.contains("index.jsonl") {
            throw ManifestError(path: folder, detail: "has features but no extraction.json, so what they were extracted with is unknown "
                                + "and new features could not be told apart from them: give another --out")
        }
        if let other = present.filter({ !$0.hasPrefix(".") }).sorted().first {
            throw ManifestError(path: folder, detail: "is not empty (\(other)\(present.count > 1 ? " and \(present.count - 1) more" : "")) and not a "
                                + "feature folder extract made: give a new or empty --out")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ManifestError(path: folder, detail: "cannot be written (\((error as NSError).localizedDescription)): give a folder you may write to")
        }
    }

    /// Half-written files that a killed run left (Foundation writes a feature file under a
    /// temporary name, `.dat.nosync…`, and renames it when whole): removed when the folder is
    /// resumed, since no index line names them.
    static func removeInterruptedWrites(in folder: String) {
        for sub in [folder, folder + "/features"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: sub)) ?? [] where name.hasPrefix(".dat.nosync") {
                try? FileManager.default.removeItem(atPath: sub + "/" + name)
            }
        }
    }

    /// "read_aloud true, now false; preset a, now b", for the refusal.
    public func differences(from now: Self) -> String {
        func show<T>(_ v: T?) -> String { v.map { "\($0)" } ?? "none" }
        var parts: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T?, _ b: T?) { if a != b { parts.append("\(name) \(show(a)), now \(show(b))") } }
        compare("path", path, now.path)
        compare("model", model, now.model)
        compare("model fingerprint", modelFingerprint, now.modelFingerprint)
        compare("features version", featuresVersion, now.featuresVersion)
        compare("preset", preset, now.preset)
        compare("read_aloud", readAloud, now.readAloud)
        compare("precision", precision, now.precision)
        compare("layers", layers.map { $0.map(String.init).joined(separator: ",") }, now.layers.map { $0.map(String.init).joined(separator: ",") })
        compare("sequential", sequential, now.sequential)
        compare("float16", float16, now.float16)
        compare("text_model", textModel, now.textModel)
        compare("text_source", textSource, now.textSource)
        return parts.joined(separator: "; ")
    }
}
