import Foundation
import ProscoreCheckpoint

/// What a feature folder was extracted with, kept in `OUT/extraction.json`: rerunning
/// `extract` into the folder resumes only with the same settings, so one folder never mixes
/// features of two models, presets or kinds (a head trained on such a folder would learn
/// from two feature paths at once).
public struct ExtractionRecord: Sendable, Equatable, Codable {
    /// What the features are, as this code computes them: changed whenever a change to the
    /// pipeline changes the features of the same audio (so an older folder is not resumed).
    public static let currentFeaturesVersion = "2026-12-07b: read-aloud evidence per reference token (aligned path log posterior, gap to the free path)"

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

    enum CodingKeys: String, CodingKey {
        case path, model, preset, precision, layers, sequential, float16
        case readAloud = "read_aloud", textModel = "text_model", modelFingerprint = "model_fingerprint"
        case featuresVersion = "features_version"
    }

    public init(path: String, model: String, preset: String? = nil, readAloud: Bool? = nil, precision: String, layers: [Int]? = nil,
                sequential: Bool? = nil, float16: Bool? = nil, textModel: String? = nil) {
        self.path = path; self.model = model; self.preset = preset; self.readAloud = readAloud; self.precision = precision
        self.layers = layers; self.sequential = sequential; self.float16 = float16; self.textModel = textModel
        modelFingerprint = CheckpointFingerprint.of(directory: model)
        featuresVersion = Self.currentFeaturesVersion
    }

    public static func file(in folder: String) -> String { folder + "/extraction.json" }

    /// The record of `folder`, if it has a readable one.
    public static func read(folder: String) -> Self? {
        FileManager.default.contents(atPath: file(in: folder)).flatMap { try? JSONDecoder().decode(Self.self, from: $0) }
    }

    /// Records these settings in a new folder, or checks them against the folder's record.
    /// A folder with features but no record (made before records were kept) is resumed
    /// unchecked; the returned note says so.
    @discardableResult
    public func claim(_ folder: String) throws -> String? {
        let path = Self.file(in: folder)
        if let data = FileManager.default.contents(atPath: path) {
            guard let earlier = try? JSONDecoder().decode(Self.self, from: data) else {
                throw ManifestError(path: path, detail: "cannot be read; it records what the folder was extracted with")
            }
            guard earlier == self else {
                throw ManifestError(path: folder, detail: "was extracted with other settings (\(earlier.differences(from: self))); "
                                    + "give another --out, or the same settings to resume")
            }
            return nil
        }
        if FileManager.default.fileExists(atPath: folder + "/index.jsonl") {
            return "\(folder) has features but no extraction.json (made before settings were recorded): resuming without checking they match"
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        return nil
    }

    /// "read_aloud true, now false; preset a, now b", for the refusal.
    func differences(from now: Self) -> String {
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
        return parts.joined(separator: "; ")
    }
}
