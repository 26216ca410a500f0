/// Layer norm and group norm over time-major `[frames, channels]` data.
public enum Normalization {
    /// Normalises each row of `x` (`rows × columns`) over its columns, then applies the
    /// optional affine `gamma`, `beta` (length `columns`). In place.
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                 gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
                                 epsilon: Float) {
        Compute.parallelRanges(rows, minimumPerThread: 64) { range in
            for r in range {
                normaliseRow(x + r * columns, columns, gamma, beta, epsilon)
            }
        }
    }

    @inline(__always)
    private static func normaliseRow(_ row: UnsafeMutablePointer<Float>, _ n: Int,
                                     _ gamma: UnsafePointer<Float>?, _ beta: UnsafePointer<Float>?,
                                     _ epsilon: Float) {
        typealias L = VectorMath.Lanes
        let w = L.scalarCount
        var acc = L(repeating: 0)
        var i = 0
        while i + w <= n { acc += VectorMath.load(row + i); i += w }
        var sum = acc.sum()
        while i < n { sum += row[i]; i += 1 }
        let mean = sum / Float(n)

        var acc2 = L(repeating: 0)
        i = 0
        while i + w <= n {
            let d = VectorMath.load(row + i) - mean
            acc2 += d * d
            i += w
        }
        var sq = acc2.sum()
        while i < n { let d = row[i] - mean; sq += d * d; i += 1 }
        let rstd = 1 / (sq / Float(n) + epsilon).squareRoot()

        if let gamma, let beta {
            for j in 0..<n { row[j] = (row[j] - mean) * rstd * gamma[j] + beta[j] }
        } else {
            for j in 0..<n { row[j] = (row[j] - mean) * rstd }
        }
    }

    /// `torch.nn.GroupNorm` on time-major data: statistics per group of
    /// `columns / groups` channels over all rows (frames). In place.
    public static func groupNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                 groups: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                                 epsilon: Float) {
        precondition(groups > 0 && columns % groups == 0, "channels must divide into groups")
        let perGroup = columns / groups
        let n = Double(rows * perGroup)

        // Two passes in Double: the time axis can be tens of thousands of frames long.
        var sums = [Double](repeating: 0, count: columns)
        sums.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                let row = x + r * columns
                for c in 0..<columns { s[c] += Double(row[c]) }
            }
        }
        var means = [Double](repeating: 0, count: groups)
        for g in 0..<groups {
            means[g] = sums[(g * perGroup)..<((g + 1) * perGroup)].reduce(0, +) / n
        }
        var channelMean = [Double](repeating: 0, count: columns)
        for c in 0..<columns { channelMean[c] = means[c / perGroup] }

        var squares = [Double](repeating: 0, count: columns)
        squares.withUnsafeMutableBufferPointer { s in
            channelMean.withUnsafeBufferPointer { m in
                for r in 0..<rows {
                    let row = x + r * columns
                    for c in 0..<columns {
                        let d = Double(row[c]) - m[c]
                        s[c] += d * d
                    }
                }
            }
        }
        var scale = [Float](repeating: 0, count: columns)
        var shift = [Float](repeating: 0, count: columns)
        for g in 0..<groups {
            let variance = squares[(g * perGroup)..<((g + 1) * perGroup)].reduce(0, +) / n
            let rstd = 1 / (variance + Double(epsilon)).squareRoot()
            for c in (g * perGroup)..<((g + 1) * perGroup) {
                scale[c] = Float(rstd) * gamma[c]
                shift[c] = beta[c] - Float(means[g] * rstd) * gamma[c]
            }
        }
        scale.withUnsafeBufferPointer { sc in
            shift.withUnsafeBufferPointer { sh in
                Compute.parallelRanges(rows, minimumPerThread: 256) { range in
                    for r in range {
                        let row = x + r * columns
                        for c in 0..<columns { row[c] = row[c] * sc[c] + sh[c] }
                    }
                }
            }
        }
    }
}
