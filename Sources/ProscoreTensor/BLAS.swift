import COpenBLAS

/// The one place where OpenBLAS is called. Row-major only.
public enum BLAS {
    public enum Transpose: Sendable {
        case none, transpose
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// Threads OpenBLAS may use for one call (1 = run on the caller's thread).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS picked for this CPU (e.g. "SkylakeX", "Zen").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, all row-major with leading
    /// dimensions `lda`, `ldb`, `ldc` (elements between consecutive rows).
    @inline(__always)
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    blasint(m), blasint(n), blasint(k),
                    alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// `Aᵀ·A` (`n×n`, both triangles filled) of a row-major `A[m×n]`, in double precision:
    /// the Gram matrix of a regression's design.
    public static func gram(_ a: [Double], rows m: Int, columns n: Int) -> [Double] {
        precondition(a.count == m * n, "gram: \(a.count) values are not \(m)×\(n)")
        var c = [Double](repeating: 0, count: n * n)
        guard m > 0, n > 0 else { return c }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(n), blasint(m), 1, a, blasint(n), 0, &c, blasint(n))
        for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
        return c
    }

    /// `Aᵀ·B` (`n×k`) of row-major `A[m×n]` and `B[m×k]`, in double precision.
    public static func transposedProduct(_ a: [Double], _ b: [Double], rows m: Int, columns n: Int, outputs k: Int) -> [Double] {
        precondition(a.count == m * n && b.count == m * k, "transposedProduct: shapes do not match")
        var c = [Double](repeating: 0, count: n * k)
        guard m > 0, n > 0, k > 0 else { return c }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(k), blasint(m),
                    1, a, blasint(n), b, blasint(k), 0, &c, blasint(k))
        return c
    }

    /// Solves `A·X = B` for a symmetric positive-definite `A[n×n]` and row-major `B[n×k]`
    /// (LAPACK's Cholesky `dposv`); nil when `A` is not positive definite.
    public static func solvePositiveDefinite(_ a: [Double], _ b: [Double], n: Int, k: Int) -> [Double]? {
        precondition(a.count == n * n && b.count == n * k, "solvePositiveDefinite: shapes do not match")
        guard n > 0, k > 0 else { return b }
        var factor = a  // symmetric, so row- and column-major agree
        var columns = [Double](repeating: 0, count: n * k)  // B column-major
        for i in 0..<n { for t in 0..<k { columns[t * n + i] = b[i * k + t] } }
        var uplo = CChar(UInt8(ascii: "U")), order = blasint(n), rhs = blasint(k), lead = blasint(n), info = blasint(0)
        dposv_(&uplo, &order, &rhs, &factor, &lead, &columns, &lead, &info)
        guard info == 0 else { return nil }
        var x = [Double](repeating: 0, count: n * k)
        for i in 0..<n { for t in 0..<k { x[i * k + t] = columns[t * n + i] } }
        return x
    }
}
