/// Closed-form ridge regression on standardised features: w = (XᵀX + λI)⁻¹ Xᵀy, with the
/// intercept left unpenalised (features and targets centred first).
public struct RidgeRegression: Sendable, Equatable, Codable {
    /// Per-feature mean and standard deviation used to standardise inputs.
    public var featureMean: [Double]
    public var featureScale: [Double]
    /// `[features][targets]` weights on standardised features, and the intercepts.
    public var weights: [[Double]]
    public var intercept: [Double]

    public init(featureMean: [Double], featureScale: [Double], weights: [[Double]], intercept: [Double]) {
        self.featureMean = featureMean
        self.featureScale = featureScale
        self.weights = weights
        self.intercept = intercept
    }

    /// Fits `targets` (`[n][k]`) from `features` (`[n][d]`).
    public static func fit(features: [[Double]], targets: [[Double]], lambda: Double) -> RidgeRegression {
        let n = features.count
        precondition(n > 0 && targets.count == n, "ridge: need as many target rows as feature rows")
        let d = features[0].count, k = targets[0].count
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 0, count: d)
        for row in features { for j in 0..<d { mean[j] += row[j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        for row in features { for j in 0..<d { scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) } }
        for j in 0..<d { scale[j] = max(1e-12, (scale[j] / Double(n)).squareRoot()) }
        var targetMean = [Double](repeating: 0, count: k)
        for row in targets { for t in 0..<k { targetMean[t] += row[t] / Double(n) } }

        // Normal equations on standardised X: A = XᵀX + λI (d×d), B = Xᵀ(y − ȳ) (d×k).
        var a = [Double](repeating: 0, count: d * d)
        var b = [Double](repeating: 0, count: d * k)
        var z = [Double](repeating: 0, count: d)
        for (row, target) in zip(features, targets) {
            for j in 0..<d { z[j] = (row[j] - mean[j]) / scale[j] }
            for i in 0..<d {
                let zi = z[i]
                if zi == 0 { continue }
                for j in i..<d { a[i * d + j] += zi * z[j] }
                for t in 0..<k { b[i * k + t] += zi * (target[t] - targetMean[t]) }
            }
        }
        for i in 0..<d {
            for j in 0..<i { a[i * d + j] = a[j * d + i] }
            a[i * d + i] += lambda
        }
        let w = solveSymmetricPositiveDefinite(a, b, d, k)
        return RidgeRegression(featureMean: mean, featureScale: scale,
                               weights: (0..<d).map { i in (0..<k).map { w[i * k + $0] } }, intercept: targetMean)
    }

    public func predict(_ row: [Double]) -> [Double] {
        var out = intercept
        for j in row.indices {
            let z = (row[j] - featureMean[j]) / featureScale[j]
            for t in out.indices { out[t] += z * weights[j][t] }
        }
        return out
    }

    /// Cholesky factorisation and two triangular solves; `a` is d×d, `b` is d×k.
    static func solveSymmetricPositiveDefinite(_ aIn: [Double], _ bIn: [Double], _ d: Int, _ k: Int) -> [Double] {
        var l = aIn
        for j in 0..<d {
            var s = l[j * d + j]
            for p in 0..<j { s -= l[j * d + p] * l[j * d + p] }
            let diag = max(s, 1e-12).squareRoot()
            l[j * d + j] = diag
            for i in (j + 1)..<max(j + 1, d) {
                var t = l[i * d + j]
                for p in 0..<j { t -= l[i * d + p] * l[j * d + p] }
                l[i * d + j] = t / diag
            }
        }
        var x = bIn
        for t in 0..<k {
            for i in 0..<d {  // L y = b
                var s = x[i * k + t]
                for p in 0..<i { s -= l[i * d + p] * x[p * k + t] }
                x[i * k + t] = s / l[i * d + i]
            }
            for i in stride(from: d - 1, through: 0, by: -1) {  // Lᵀ w = y
                var s = x[i * k + t]
                for p in (i + 1)..<max(i + 1, d) { s -= l[p * d + i] * x[p * k + t] }
                x[i * k + t] = s / l[i * d + i]
            }
        }
        return x
    }
}
