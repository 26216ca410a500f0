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
        guard rows > 0 else { return }
        let perGroup = columns / groups

        // Per-channel Σ(x − s) and Σ(x − s)² with s = the first row (so that a large mean does
        // not cancel away the variance): Float within blocks of rows, Double across blocks.
        // The time axis can be 30 000 frames long; blocks run in parallel.
        let blockRows = 256
        let blocks = (rows + blockRows - 1) / blockRows
        var partials = [Double](repeating: 0, count: blocks * 2 * columns)
        partials.withUnsafeMutableBufferPointer { partial in
            let out = partial.baseAddress!
            Compute.parallelRanges(blocks, minimumPerThread: 4) { blockRange in
                let sum = UnsafeMutablePointer<Float>.allocate(capacity: 2 * columns)
                defer { sum.deallocate() }
                let square = sum + columns
                for block in blockRange {
                    sum.initialize(repeating: 0, count: 2 * columns)
                    for r in (block * blockRows)..<min(rows, (block + 1) * blockRows) {
                        let row = x + r * columns
                        for c in 0..<columns {
                            let v = row[c] - x[c]
                            sum[c] += v
                            square[c] += v * v
                        }
                    }
                    let slot = out + block * 2 * columns
                    for c in 0..<(2 * columns) { slot[c] = Double(sum[c]) }
                }
            }
        }
        var scale = [Float](repeating: 0, count: columns)
        var shift = [Float](repeating: 0, count: columns)
        let n = Double(rows * perGroup)
        for g in 0..<groups {
            // Channels of a group share statistics; their shifts differ, so combine about the
            // group's first channel shift.
            var sum = 0.0, square = 0.0
            let s0 = Double(x[g * perGroup])
            for c in (g * perGroup)..<((g + 1) * perGroup) {
                var cs = 0.0, cq = 0.0
                for b in 0..<blocks {
                    cs += partials[b * 2 * columns + c]
                    cq += partials[b * 2 * columns + columns + c]
                }
                // Re-centre channel c's moments from shift x[c] to shift s0.
                let d = Double(x[c]) - s0
                let count = Double(rows)
                sum += cs + count * d
                square += cq + 2 * d * cs + count * d * d
            }
            let meanShifted = sum / n
            let variance = max(0, square / n - meanShifted * meanShifted)
            let mean = meanShifted + s0
            let rstd = 1 / (variance + Double(epsilon)).squareRoot()
            for c in (g * perGroup)..<((g + 1) * perGroup) {
                scale[c] = Float(rstd) * gamma[c]
                shift[c] = beta[c] - Float(mean * rstd) * gamma[c]
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
