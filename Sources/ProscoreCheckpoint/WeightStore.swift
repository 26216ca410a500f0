import ProscoreTensor

/// Where a model's loader gets its tensors from, by checkpoint name.
public protocol TensorSource: AnyObject {
    func contains(_ name: String) -> Bool
    /// The tensor `name`, which must have `shape`.
    func take(_ name: String, shape: [Int]) throws -> Tensor
}

extension TensorSource {
    /// Like `take`, but `nil` when there is no such tensor.
    public func takeIfPresent(_ name: String, shape: [Int]) throws -> Tensor? {
        contains(name) ? try take(name, shape: shape) : nil
    }
}

/// Hands out a checkpoint's tensors by name, checking shapes and remembering which were
/// used, so that loading can report both missing and left-over tensors.
public final class WeightStore: TensorSource {
    public let file: SafeTensorsFile
    private var used: Set<String> = []

    public init(file: SafeTensorsFile) {
        self.file = file
    }

    public func contains(_ name: String) -> Bool { file.entries[name] != nil }

    public func take(_ name: String, shape: [Int]) throws -> Tensor {
        guard let entry = file.entries[name] else { throw CheckpointError.missingTensor(path: file.path, tensor: name) }
        guard entry.shape == shape else {
            throw CheckpointError.wrongShape(path: file.path, tensor: name, expected: shape, found: entry.shape)
        }
        used.insert(name)
        return try file.tensor(name)
    }

    /// Tensors in the file that no `take` asked for, sorted.
    public var unused: [String] { file.names.filter { !used.contains($0) } }
}

/// Random tensors of whatever shape is asked for: builds models with a real checkpoint's
/// shape but no checkpoint (benchmarks, tests). Deterministic for a seed.
public final class RandomTensorSource: TensorSource {
    private var state: UInt64
    private let present: (String) -> Bool

    /// `present` decides which optional tensors exist (e.g. no CTC head).
    public init(seed: UInt64, present: @escaping (String) -> Bool = { _ in true }) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        self.present = present
    }

    public func contains(_ name: String) -> Bool { present(name) }

    public func take(_ name: String, shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        let isNormOrBias = name.hasSuffix("bias") || name.contains("norm")
        let fanIn = shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1
        let scale = isNormOrBias ? 0.1 : 1 / Float(fanIn).squareRoot()
        let offset: Float = name.contains("norm") && name.hasSuffix("weight") ? 1 : 0
        var scalars = [Float](repeating: 0, count: n)
        for i in 0..<n { scalars[i] = offset + scale * nextUniform() }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Uniform on [-√3, √3): unit variance.
    private func nextUniform() -> Float {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * 1.7320508
    }
}
