import Dispatch

/// How many threads the numeric code may use, and the one place that splits work across
/// them.
///
/// OpenBLAS itself always runs single-threaded: parallel work is split here, along GEMM
/// rows or columns, attention heads or conv output frames. One owner for threading means
/// no oversubscription when several models run at once (the BERT pass on its own queue),
/// and no process-global BLAS setting that one caller could change under another.
public enum Compute {
    nonisolated(unsafe) private static var threads = 1
    private static let blasPinnedToCaller: Void = { BLAS.threadCount = 1 }()

    /// Threads for the numeric work of one call (GEMMs, convs, attention, row kernels).
    public static var threadCount: Int {
        get { threads }
        set {
            _ = blasPinnedToCaller
            threads = max(1, newValue)
        }
    }

    /// Splits `0..<count` into at most `threadCount` contiguous ranges and runs `body`
    /// on each concurrently; runs inline when one thread suffices or the work is small.
    public static func parallelRanges(_ count: Int, minimumPerThread: Int = 1,
                                      _ body: (Range<Int>) -> Void) {
        _ = blasPinnedToCaller
        let parts = min(threads, max(1, count / max(1, minimumPerThread)))
        if parts <= 1 {
            body(0..<count)
            return
        }
        // The ranges are disjoint and `concurrentPerform` returns only when all are done,
        // so handing the caller's closure (and the buffers it captures) to the workers is safe.
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                work((count * p / parts)..<(count * (p + 1) / parts))
            }
        }
    }

    /// `BLAS.gemm` split across `threadCount` threads: along the output's columns when it is
    /// wider than tall (each thread then packs only its share of a weight matrix), along its
    /// rows otherwise. Small products run on the caller's thread.
    public static func gemm(
        _ transA: BLAS.Transpose, _ transB: BLAS.Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = blasPinnedToCaller
        let work = m * n * k
        guard threads > 1, work >= 1 << 21 else {
            BLAS.gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c, ldc: ldc)
            return
        }
        if n >= m {
            // Column blocks in multiples of 16 keep the BLAS micro-kernels whole.
            let blocks = (n + 15) / 16
            parallelRanges(blocks) { r in
                let j0 = r.lowerBound * 16, j1 = min(n, r.upperBound * 16)
                guard j1 > j0 else { return }
                BLAS.gemm(transA, transB, m: m, n: j1 - j0, k: k, alpha: alpha, a: a, lda: lda,
                          b: transB == .none ? b + j0 : b + j0 * ldb, ldb: ldb,
                          beta: beta, c: c + j0, ldc: ldc)
            }
        } else {
            parallelRanges(m) { r in
                BLAS.gemm(transA, transB, m: r.count, n: n, k: k, alpha: alpha,
                          a: transA == .none ? a + r.lowerBound * lda : a + r.lowerBound, lda: lda,
                          b: b, ldb: ldb, beta: beta, c: c + r.lowerBound * ldc, ldc: ldc)
            }
        }
    }
}
