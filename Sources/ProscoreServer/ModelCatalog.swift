import Foundation
import ProscorePipeline
import ProscoreTensor

/// Settings and models for each session: the server's own request, optionally with a
/// preset a client names (a file in the presets folder, by name only, never a path).
/// Models are loaded once per distinct model, heads, text model and precision, and shared
/// read-only by every session that uses them.
final class ModelCatalog: @unchecked Sendable {
    let base: SessionRequest
    let presetsDirectory: String
    private let lock = NSLock()
    private var loaded: [String: LoadedModels] = [:]

    /// Loads the server's own models at once, so that a bad --model fails at start.
    init(base: SessionRequest, presetsDirectory: String) throws {
        self.base = base
        self.presetsDirectory = presetsDirectory
        _ = try models(for: try settings(preset: nil, reference: nil, textPrompt: nil))
    }

    /// The settings of one session. Throws `SessionSetupError` for a preset name that is
    /// not a plain name or not a file in the presets folder.
    func settings(preset: String?, reference: String?, textPrompt: String?, learner: String? = nil) throws -> SessionSettings {
        var request = base
        request.learner = learner
        if let preset {
            let plain = !preset.isEmpty && preset.count <= 64
                && preset.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            let path = presetsDirectory + "/" + preset + ".json"
            guard plain, FileManager.default.fileExists(atPath: path) else {
                throw SessionSetupError("unknown preset \"\(preset)\": name one of \(presetNames.joined(separator: ", "))")
            }
            request.preset = path
        }
        let trimmedReference = reference?.trimmingCharacters(in: .whitespacesAndNewlines)
        request.reference = trimmedReference?.isEmpty == false ? trimmedReference : nil
        let trimmedPrompt = textPrompt?.trimmingCharacters(in: .whitespacesAndNewlines)
        request.textPrompt = trimmedPrompt?.isEmpty == false ? trimmedPrompt : nil
        return try SessionBuilder.settings(for: request)
    }

    /// The presets a client may name.
    var presetNames: [String] { Installation.presetNames(in: presetsDirectory) }

    /// The models `settings` name, loading them the first time (blocking: call off the event loop).
    func models(for settings: SessionSettings) throws -> LoadedModels {
        let key = [settings.model, settings.head ?? "-", settings.readAloudHead ?? "-", settings.textModel ?? "-",
                   settings.precision.rawValue].joined(separator: "|")
        lock.lock()
        defer { lock.unlock() }
        if let models = loaded[key] { return models }
        let models = try SessionBuilder.loadModels(for: settings)
        loaded[key] = models
        return models
    }
}
