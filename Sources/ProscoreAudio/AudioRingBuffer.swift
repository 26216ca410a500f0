import Dispatch
import Synchronization
import ProscoreUnits

/// A lock-free single-producer single-consumer ring of Float32 samples (mono, 16 kHz in
/// the pipeline) between a capture thread and the rest of Proscore.
///
/// The producer never blocks and never allocates: when the consumer falls behind, the
/// newest audio overwrites the oldest, and every sample the consumer never receives is
/// counted in `droppedSamples`. Positions are monotonic sample counts; the producer
/// announces the range it is about to overwrite (`reserved`) before touching it, so the
/// consumer can tell which of the samples it just copied may have been overwritten
/// mid-copy and discard (and count) exactly those.
public final class AudioRingBuffer: @unchecked Sendable {
    /// Samples the ring holds (a power of two ≥ the requested capacity).
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Samples published by the producer.
    private let written = Atomic<Int>(0)
    /// Samples the producer has started to write (≥ `written`).
    private let reserved = Atomic<Int>(0)
    /// Samples the consumer has taken or skipped.
    private let consumed = Atomic<Int>(0)
    private let droppedByProducer = Atomic<Int>(0)
    private let droppedByConsumer = Atomic<Int>(0)
    private let finished = Atomic<Bool>(false)
    private let dataArrived = DispatchSemaphore(value: 0)

    /// A ring of at least `capacitySamples` samples.
    public init(capacitySamples: Int) {
        precondition(capacitySamples > 0, "ring buffer capacity must be positive")
        var c = 1
        while c < capacitySamples { c <<= 1 }
        capacity = c
        mask = c - 1
        storage = .allocate(capacity: c)
        storage.initialize(repeating: 0, count: c)
    }

    /// A ring holding `seconds` of audio at `sampleRate` (default 10 s at 16 kHz).
    public convenience init(seconds: Double = 10, sampleRate: Int = FrameGeometry.sampleRate) {
        self.init(capacitySamples: max(1, Int(seconds * Double(sampleRate))))
    }

    deinit { storage.deallocate() }

    // MARK: - Producer side

    /// Appends samples; never blocks. If they do not fit, the oldest audio is overwritten.
    public func write(_ samples: UnsafeBufferPointer<Float>) {
        guard var source = samples.baseAddress, !samples.isEmpty else { return }
        var n = samples.count
        if n > capacity {  // only the newest `capacity` samples can ever be read
            droppedByProducer.add(n - capacity, ordering: .relaxed)
            source += n - capacity
            n = capacity
        }
        let w = written.load(ordering: .relaxed)
        reserved.store(w + n, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        let start = w & mask
        let first = min(n, capacity - start)
        (storage + start).update(from: source, count: first)
        if first < n { storage.update(from: source + first, count: n - first) }
        written.store(w + n, ordering: .releasing)
        dataArrived.signal()
    }

    public func write(_ samples: [Float]) {
        samples.withUnsafeBufferPointer { write($0) }
    }

    /// Samples that can be written without overwriting unread audio.
    public var freeSpace: Int {
        capacity - (written.load(ordering: .relaxed) - consumed.load(ordering: .acquiring))
    }

    /// Marks the end of the stream (a recording ended, the device went away).
    public func finish() {
        finished.store(true, ordering: .releasing)
        dataArrived.signal()
    }

    // MARK: - Consumer side

    /// Copies up to `destination.count` of the oldest unread samples; returns how many.
    /// Audio that was overwritten before it could be read is skipped and counted.
    public func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let out = destination.baseAddress, !destination.isEmpty else { return 0 }
        var r = consumed.load(ordering: .relaxed)
        let w = written.load(ordering: .acquiring)
        if w - r > capacity {
            droppedByConsumer.add(w - capacity - r, ordering: .relaxed)
            r = w - capacity
        }
        let n = min(destination.count, w - r)
        guard n > 0 else { return 0 }
        let start = r & mask
        let first = min(n, capacity - start)
        out.update(from: storage + start, count: first)
        if first < n { (out + first).update(from: storage, count: n - first) }
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        // Anything below `reserved − capacity` may have been overwritten while we copied.
        let unsafeBelow = reserved.load(ordering: .sequentiallyConsistent) - capacity
        let lost = min(n, max(0, unsafeBelow - r))
        if lost > 0 {
            droppedByConsumer.add(lost, ordering: .relaxed)
            (out).update(from: out + lost, count: n - lost)
        }
        consumed.store(r + n, ordering: .releasing)
        return n - lost
    }

    /// Waits up to `timeoutSeconds` for new audio or the end of the stream.
    public func waitForData(timeoutSeconds: Double) {
        if available > 0 || finished.load(ordering: .acquiring) { return }
        _ = dataArrived.wait(timeout: .now() + timeoutSeconds)
    }

    /// Unread samples (including any that will turn out to be overwritten).
    public var available: Int { written.load(ordering: .acquiring) - consumed.load(ordering: .relaxed) }

    /// True once the producer has finished and everything has been read.
    public var isFinished: Bool { finished.load(ordering: .acquiring) && available <= 0 }

    /// Samples written since creation.
    public var totalWritten: Int { written.load(ordering: .acquiring) + droppedByProducer.load(ordering: .relaxed) }

    /// Samples lost because the consumer fell behind.
    public var droppedSamples: Int {
        droppedByProducer.load(ordering: .relaxed) + droppedByConsumer.load(ordering: .relaxed)
    }
}
