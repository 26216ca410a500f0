import Foundation

/// Everything that can be wrong with a model directory, each naming the file (and the
/// tensor) involved and what to do about it.
public enum CheckpointError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case missingFile(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case truncated(path: String, detail: String)
    case badHeader(path: String, detail: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case missingTensor(path: String, tensor: String)
    case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])
    case badConfig(path: String, detail: String)
    case unknownModelType(path: String, modelType: String)

    public var description: String {
        switch self {
        case let .missingFile(path, hint):
            return "\(path): no such file. \(hint)"
        case let .unreadable(path, reason):
            return "\(path): cannot be read (\(reason))."
        case let .truncated(path, detail):
            return "\(path): file is truncated (\(detail)). Copy or convert the checkpoint again."
        case let .badHeader(path, detail):
            return "\(path): not a valid safetensors file (\(detail)). Convert the checkpoint with tools/convert_checkpoint.py."
        case let .unsupportedDType(path, tensor, dtype):
            return "\(path): tensor '\(tensor)' has dtype \(dtype); only F32, F16, BF16 and F64 weights can be used."
        case let .missingTensor(path, tensor):
            return "\(path): tensor '\(tensor)' is missing. Is this checkpoint the model config.json describes?"
        case let .wrongShape(path, tensor, expected, found):
            return "\(path): tensor '\(tensor)' has shape \(found), config.json implies \(expected). The weights and config.json do not belong together."
        case let .badConfig(path, detail):
            return "\(path): \(detail)"
        case let .unknownModelType(path, modelType):
            return "\(path): model_type '\(modelType)' is not supported (expected wav2vec2, hubert, data2vec-audio or bert)."
        }
    }

    public var errorDescription: String? { description }
}
