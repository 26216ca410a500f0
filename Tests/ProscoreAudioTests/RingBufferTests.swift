import Foundation
import Testing
@testable import ProscoreAudio

@Suite("lock-free ring buffer")
struct RingBufferTests {
    /// Writes 0, 1, 2, … in chunks of varying size from a second thread.
    func produce(_ ring: AudioRingBuffer, total: Int, onChunk: @escaping @Sendable () -> Void = {}) -> Thread {
        let t = Thread {
            var chunk = [Float](repeating: 0, count: 1_024)
            var next = 0
            var size = 1
            while next < total {
                let n = min(size, total - next)
                for i in 0..<n { chunk[i] = Float(next + i) }
                chunk.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                next += n
                size = size % 997 + 13
                onChunk()
            }
            ring.finish()
        }
        t.start()
        return t
    }

    /// Reads everything until the producer finishes; returns the samples in order.
    func consume(_ ring: AudioRingBuffer, pause: (Int) -> Void = { _ in }) -> [Float] {
        var received: [Float] = []
        var buffer = [Float](repeating: 0, count: 511)
        var reads = 0
        while !ring.isFinished {
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            received.append(contentsOf: buffer[0..<n])
            reads += 1
            pause(reads)
        }
        return received
    }

    @Test("a concurrent producer and consumer lose and duplicate nothing when the capacity suffices")
    func noLoss() {
        let total = 1_000_000
        let ring = AudioRingBuffer(capacitySamples: total)
        _ = produce(ring, total: total)
        let received = consume(ring)
        #expect(received.count == total)
        #expect(received == (0..<total).map(Float.init))
        #expect(ring.droppedSamples == 0)
    }

    @Test("a slow consumer loses the oldest audio, and the drop count is exact")
    func exactDrops() {
        let total = 600_000
        let ring = AudioRingBuffer(capacitySamples: 4_096)
        _ = produce(ring, total: total)
        let received = consume(ring) { reads in if reads % 7 == 0 { usleep(200) } }
        #expect(ring.droppedSamples > 0, "the consumer should have fallen behind")
        #expect(received.count + ring.droppedSamples == total)
        // What arrives is in order, never duplicated, never corrupted: each value is its index.
        var previous: Float = -1
        var ordered = true
        for v in received {
            if v <= previous || v != v.rounded() { ordered = false }
            previous = v
        }
        #expect(ordered)
        #expect(received.last == Float(total - 1), "the newest audio is never dropped")
    }

    @Test("one write larger than the ring keeps only the newest samples and counts the rest")
    func oversizedWrite() {
        let ring = AudioRingBuffer(capacitySamples: 1_000)  // rounds up to 1024
        #expect(ring.capacity == 1_024)
        ring.write((0..<3_000).map(Float.init))
        var out = [Float](repeating: 0, count: 2_000)
        let n = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        #expect(n == 1_024)
        #expect(Array(out[0..<n]) == (1_976..<3_000).map(Float.init))
        #expect(ring.droppedSamples == 3_000 - 1_024)
    }

    @Test("free space, availability and the end of the stream")
    func bookkeeping() {
        let ring = AudioRingBuffer(seconds: 10)
        #expect(ring.capacity >= 160_000)
        ring.write([1, 2, 3])
        #expect(ring.available == 3 && ring.freeSpace == ring.capacity - 3)
        #expect(!ring.isFinished)
        ring.finish()
        #expect(!ring.isFinished, "finished only once drained")
        var out = [Float](repeating: 0, count: 8)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 3)
        #expect(ring.isFinished)
    }
}
