import Foundation

/// Numerically stable softmax over each row of `x` (`rows × columns`), in place.
public enum Softmax {
    public static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows { row(x + r * columns, columns) }
    }

    /// One row: subtract the maximum, exponentiate, divide by the sum.
    @inline(__always)
    static func row(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        typealias L = VectorMath.Lanes
        let w = L.scalarCount
        var lanesMax = L(repeating: -.infinity)
        var i = 0
        while i + w <= n {
            let v = VectorMath.load(row + i)
            lanesMax = lanesMax.replacing(with: v, where: v .> lanesMax)
            i += w
        }
        var m = lanesMax.max()
        while i < n { m = max(m, row[i]); i += 1 }

        var lanesSum = L(repeating: 0)
        i = 0
        while i + w <= n {
            let e = VectorMath.exp(VectorMath.load(row + i) - m)
            VectorMath.store(e, row + i)
            lanesSum += e
            i += w
        }
        var s = lanesSum.sum()
        while i < n {
            row[i] = VectorMath.exp(L(repeating: row[i] - m))[0]
            s += row[i]
            i += 1
        }
        let inv = 1 / s
        for j in 0..<n { row[j] *= inv }
    }
}

/// What CTC decoding and speech detection read from each frame of `[frames, vocab]`
/// logits: the best token, its softmax posterior and the posterior of one chosen token
/// (the blank), without materialising the softmax.
public struct FramePosteriors: Sendable, Equatable {
    public var best: [Int]
    public var bestPosterior: [Float]
    public var chosenPosterior: [Float]

    /// `chosen` is the token whose posterior is wanted besides the best (the blank).
    public init(logits: Tensor, chosen: Int) {
        let (frames, v) = (logits.shape[0], logits.shape[1])
        best = [Int](repeating: 0, count: frames)
        bestPosterior = [Float](repeating: 0, count: frames)
        chosenPosterior = [Float](repeating: 0, count: frames)
        logits.scalars.withUnsafeBufferPointer { x in
            for t in 0..<frames {
                let row = x.baseAddress! + t * v
                var b = 0
                var m = -Float.infinity
                for j in 0..<v where row[j] > m { m = row[j]; b = j }
                var sum: Float = 0
                for j in 0..<v { sum += Foundation.exp(row[j] - m) }
                best[t] = b
                bestPosterior[t] = 1 / sum
                chosenPosterior[t] = chosen < v ? Foundation.exp(row[chosen] - m) / sum : 0
            }
        }
    }
}

extension Softmax {
    /// Log-softmax of each row of `[rows, columns]` logits, row-major.
    public static func logRows(_ logits: Tensor) -> [Float] {
        let (rows, v) = (logits.shape[0], logits.shape[1])
        var out = [Float](repeating: 0, count: rows * v)
        for r in 0..<rows {
            var m = -Float.infinity
            for j in 0..<v { m = max(m, logits.scalars[r * v + j]) }
            var sum: Float = 0
            for j in 0..<v { sum += Foundation.exp(logits.scalars[r * v + j] - m) }
            let lse = m + Foundation.log(sum)
            for j in 0..<v { out[r * v + j] = logits.scalars[r * v + j] - lse }
        }
        return out
    }
}
