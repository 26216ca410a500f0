import ProscoreTensor

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

    /// Fits `targets` (`[n][k]`) from `features` (`[n][d]`). `penalty`: a multiplier of λ per
    /// feature (nil: λ for every feature).
    public static func fit(features: [[Double]], targets: [[Double]], lambda: Double, penalty: [Double]? = nil) -> RidgeRegression {
        RidgeProblem(features: features, targets: targets).solve(lambda: lambda, penalty: penalty)
    }

    public func predict(_ row: [Double]) -> [Double] {
        var out = intercept
        for j in row.indices {
            let z = (row[j] - featureMean[j]) / featureScale[j]
            for t in out.indices { out[t] += z * weights[j][t] }
        }
        return out
    }

    /// Cholesky factorisation and two triangular solves; `a` is d×d, `b` is d×k. The fallback
    /// for a system LAPACK finds not positive definite (λ ≈ 0 on collinear features): pivots
    /// are floored at 1e-12 instead of failing.
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

/// One training set's standardised normal equations — XᵀX and Xᵀ(y − ȳ) on standardised X,
/// computed once (OpenBLAS) — solved for any λ. Cross-validation over a grid of λ builds one
/// problem per fold instead of one per fold and λ.
public struct RidgeProblem: Sendable {
    public let featureMean: [Double]
    public let featureScale: [Double]
    public let targetMean: [Double]
    let gram: [Double]
    let moments: [Double]
    public var featureCount: Int { featureMean.count }
    public var targetCount: Int { targetMean.count }

    public init(features: [[Double]], targets: [[Double]]) {
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
        var z = [Double](repeating: 0, count: n * d), y = [Double](repeating: 0, count: n * k)
        for (i, (row, target)) in zip(features, targets).enumerated() {
            for j in 0..<d { z[i * d + j] = (row[j] - mean[j]) / scale[j] }
            for t in 0..<k { y[i * k + t] = target[t] - targetMean[t] }
        }
        featureMean = mean
        featureScale = scale
        self.targetMean = targetMean
        gram = BLAS.gram(z, rows: n, columns: d)
        moments = BLAS.transposedProduct(z, y, rows: n, columns: d, outputs: k)
    }

    /// w = (XᵀX + λ·diag(penalty))⁻¹ Xᵀ(y − ȳ).
    public func solve(lambda: Double, penalty: [Double]? = nil) -> RidgeRegression {
        let d = featureCount, k = targetCount
        precondition(penalty == nil || penalty!.count == d, "ridge: one penalty multiplier per feature")
        var a = gram
        for i in 0..<d { a[i * d + i] += lambda * (penalty?[i] ?? 1) }
        let w = BLAS.solvePositiveDefinite(a, moments, n: d, k: k)
            ?? RidgeRegression.solveSymmetricPositiveDefinite(a, moments, d, k)
        return RidgeRegression(featureMean: featureMean, featureScale: featureScale,
                               weights: (0..<d).map { i in (0..<k).map { w[i * k + $0] } }, intercept: targetMean)
    }
}
