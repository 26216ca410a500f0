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
