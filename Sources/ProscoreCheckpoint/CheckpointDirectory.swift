import Foundation

/// What `config.json` says a checkpoint is.
public enum ModelConfig: Sendable, Equatable {
    case audioEncoder(Wav2Vec2Config)
    case bert(BertConfig)
}

/// A Hugging Face checkpoint directory on disk: `config.json`, `model.safetensors`, and
/// where present `preprocessor_config.json`, `vocab.json` (CTC) or `vocab.txt` (BERT).
public struct CheckpointDirectory: Sendable {
    public let path: String
    public let config: ModelConfig

    public var configPath: String { file("config.json") }
    public var weightsPath: String { file("model.safetensors") }
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    public func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw CheckpointError.badConfig(
                path: path, detail: "is a file, not a model folder. Give the directory of a Hugging Face checkpoint (config.json + model.safetensors), such as models/proscore-small-ctc; check the order of the arguments.")
        }
        guard exists else {
            throw CheckpointError.missingFile(
                path: path, hint: "Give the directory of a Hugging Face checkpoint (config.json + model.safetensors).")
        }
        guard FileManager.default.isExecutableFile(atPath: path), FileManager.default.isReadableFile(atPath: path) else {
            throw CheckpointError.unreadable(path: path, reason: "the folder cannot be read (permission denied); check its permissions")
        }
        let configPath = (path as NSString).appendingPathComponent("config.json")
        let data = try Self.read(configPath, hint: "A checkpoint directory needs the config.json it was saved with.")
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.badConfig(path: configPath, detail: "is not a JSON object")
        }
        guard let modelType = object["model_type"] as? String else {
            throw CheckpointError.badConfig(path: configPath, detail: "has no model_type")
        }
        do {
            switch modelType {
            case "bert":
                config = .bert(try JSONDecoder().decode(BertConfig.self, from: data))
            case _ where AudioEncoderFamily(rawValue: modelType) != nil:
                let c = try JSONDecoder().decode(Wav2Vec2Config.self, from: data)
                if let problem = c.problems().first {
                    throw CheckpointError.badConfig(path: configPath, detail: problem)
                }
                config = .audioEncoder(c)
            default:
                throw CheckpointError.unknownModelType(path: configPath, modelType: modelType)
            }
        } catch let error as DecodingError {
            throw CheckpointError.badConfig(path: configPath, detail: Self.describe(error))
        }
        let weights = (path as NSString).appendingPathComponent("model.safetensors")
        if !FileManager.default.fileExists(atPath: weights) {
            let hint = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("pytorch_model.bin"))
                ? "This checkpoint has pytorch_model.bin: run `python tools/convert_checkpoint.py \(path)` once."
                : "The weights must be in model.safetensors."
            throw CheckpointError.missingFile(path: weights, hint: hint)
        }
    }

    /// `preprocessor_config.json`, or the feature extractor defaults when absent.
    public func preprocessorConfig() throws -> PreprocessorConfig {
        let p = file("preprocessor_config.json")
        guard has("preprocessor_config.json") else { return PreprocessorConfig() }
        do {
            return try JSONDecoder().decode(PreprocessorConfig.self, from: try Self.read(p, hint: ""))
        } catch let error as DecodingError {
            throw CheckpointError.badConfig(path: p, detail: Self.describe(error))
        }
    }

    /// The memory-mapped weights.
    public func openWeights() throws -> SafeTensorsFile { try SafeTensorsFile(path: weightsPath) }

    static func read(_ path: String, hint: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missingFile(path: path, hint: hint) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError.unreadable(path: path, reason: "permission denied or not a regular file")
        }
        return data
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .keyNotFound(_, c), let .dataCorrupted(c):
            let key = c.codingPath.map(\.stringValue).joined(separator: ".")
            return key.isEmpty ? c.debugDescription : "'\(key)': \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
