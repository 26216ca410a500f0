/// A dense row-major Float32 tensor on one contiguous buffer.
///
/// Sequences are kept time-major, `[frames, channels]`, so that a frame is one
/// contiguous row: convolutions, linear maps and attention then become GEMMs over
/// strided row views with no transposes.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// Rows of a 2-D (or higher, flattened leading) tensor: all dimensions but the last.
    public var rows: Int { shape.count <= 1 ? 1 : shape.dropLast().reduce(1, *) }
    /// Length of the last dimension.
    public var columns: Int { shape.last ?? 1 }

    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Rows `range` of a 2-D tensor, copied.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let c = shape[1]
        return Tensor(shape: [range.count, c],
                      scalars: Array(scalars[(range.lowerBound * c)..<(range.upperBound * c)]))
    }

    /// The `index`-th slice along the first dimension.
    public subscript(index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0])
        let inner = Array(shape.dropFirst())
        let n = inner.reduce(1, *)
        return Tensor(shape: inner, scalars: Array(scalars[(index * n)..<((index + 1) * n)]))
    }

    /// Stacks equally shaped tensors along a new first dimension.
    public static func stack(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        precondition(parts.allSatisfy { $0.shape == first.shape }, "stack: shapes differ")
        var scalars = [Float]()
        scalars.reserveCapacity(first.count * parts.count)
        for p in parts { scalars.append(contentsOf: p.scalars) }
        return Tensor(shape: [parts.count] + first.shape, scalars: scalars)
    }

    /// Row-major transpose of a 2-D tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2)
        let (r, c) = (shape[0], shape[1])
        var out = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            }
        }
        return Tensor(shape: [c, r], scalars: out)
    }

    public func withUnsafePointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    public mutating func withUnsafeMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}

extension Tensor {
    /// Largest absolute difference to `other` (shapes must match).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes differ: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(scalars[i] - other.scalars[i])) }
        return m
    }

    /// Sums of each column over all rows (Double accumulators), e.g. frame features over time.
    public func columnSums() -> [Double] {
        let (r, c) = (rows, columns)
        var sums = [Double](repeating: 0, count: c)
        for i in 0..<r { for j in 0..<c { sums[j] += Double(scalars[i * c + j]) } }
        return sums
    }
}
