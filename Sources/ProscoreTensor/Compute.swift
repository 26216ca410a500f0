import Dispatch

/// How many threads the numeric code may use: OpenBLAS and our own row kernels together.
public enum Compute {
    nonisolated(unsafe) private static var threads = 1

    /// Threads for BLAS calls and for splitting row kernels (GELU, norms, softmax).
    public static var threadCount: Int {
        get { threads }
        set {
            threads = max(1, newValue)
            BLAS.threadCount = threads
        }
    }

    /// Splits `0..<count` into at most `threadCount` contiguous ranges and runs `body`
    /// on each concurrently; runs inline when one thread suffices or the work is small.
    public static func parallelRanges(_ count: Int, minimumPerThread: Int = 1,
                                      _ body: (Range<Int>) -> Void) {
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
}
