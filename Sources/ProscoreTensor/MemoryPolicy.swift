/// Process-wide allocation policy for numeric work.
public enum MemoryPolicy {
    /// Keeps large buffers in the heap instead of fresh `mmap`s.
    ///
    /// glibc serves every allocation above 32 MiB (the cap of its dynamic threshold) with a
    /// new `mmap` and unmaps it on free, so each encoder pass over 10 s of audio page-faults
    /// its conv buffers in anew: ~40 ms per 64 MiB on a virtual machine. With the threshold
    /// raised, freed buffers are reused by the next pass. Call once, early, from an
    /// executable (a library should not change its host's allocator behind its back).
    public static func keepLargeBuffersInHeap() {
        #if os(Linux)
        // <malloc.h> is not part of Swift's Glibc module; these are glibc's parameter numbers.
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        _ = glibcMallopt(mmapThreshold, 1 << 30)
        _ = glibcMallopt(trimThreshold, Int32.max)
        #endif
    }
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
