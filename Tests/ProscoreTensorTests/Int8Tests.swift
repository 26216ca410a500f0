import CProscoreKernels
import Foundation
import Testing
@testable import ProscoreTensor

/// The int8 VNNI path: the kernel against the plain C reference of its own arithmetic
/// (bit for bit), and the layer against fp32 (close).
@Suite("int8 products", .enabled(if: Int8Matrix.isSupported, "the CPU lacks AVX-512 VNNI"))
struct Int8Tests {
    func product(_ m: Int8Matrix, _ x: [[Float]], bias: [Float]?, reference: Bool, accumulate: Bool = false,
                 start: [Float]? = nil) -> [Float] {
        let rows = x.count, n = m.outFeatures
        var y = start ?? [Float](repeating: 0, count: rows * n)
        let flat = x.flatMap { $0 }
        flat.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                func run(_ b: UnsafePointer<Float>?) {
                    if reference {
                        m.referenceMultiply(xp.baseAddress!, rows: rows, ldx: m.inFeatures, bias: b, into: yp.baseAddress!, ldy: n, accumulate: accumulate)
                    } else {
                        m.multiply(xp.baseAddress!, rows: rows, ldx: m.inFeatures, bias: b, into: yp.baseAddress!, ldy: n, accumulate: accumulate)
                    }
                }
                if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
            }
        }
        return y
    }

    @Test("the kernel equals its reference bit for bit at tile edges, odd depths and with accumulation, on 1 and 2 threads",
          arguments: [(1, 1, 1), (7, 33, 3), (8, 32, 4), (9, 65, 37), (17, 100, 129), (40, 768, 768), (3, 48, 3071)])
    func knownAnswer(rows: Int, n: Int, k: Int) throws {
        var r = TestRandom(UInt64(rows * 1000 + n + k))
        let w = r.matrix(n, k, scale: 0.05), x = r.matrix(rows, k), b = r.array(n)
        let m = try #require(Int8Matrix(Tensor(w)))
        for threads in [1, 2] {
            Compute.threadCount = threads
            #expect(product(m, x, bias: b, reference: false) == product(m, x, bias: b, reference: true))
            #expect(product(m, x, bias: nil, reference: false) == product(m, x, bias: nil, reference: true))
            let start = (0..<(rows * n)).map { Float($0 % 7) }
            #expect(product(m, x, bias: b, reference: false, accumulate: true, start: start)
                    == product(m, x, bias: b, reference: true, accumulate: true, start: start))
        }
        Compute.threadCount = 1
    }

    @Test("saturating inputs: every weight and activation at the extremes stays exact")
    func saturation() throws {
        let k = 3072, n = 40
        let w = (0..<n).map { o in [Float](repeating: o % 2 == 0 ? 1 : -1, count: k) }
        let x = [[Float](repeating: 1, count: k), [Float](repeating: -1, count: k)]
        let m = try #require(Int8Matrix(Tensor(w)))
        let y = product(m, x, bias: nil, reference: false)
        #expect(y == product(m, x, bias: nil, reference: true))
        // (127 · 127 · k) · (1/127) · (1/127) = k, exactly.
        #expect(y[0] == Float(k) && y[1] == -Float(k) && y[n] == -Float(k))
    }

    @Test("an int8 Linear is within 2% of fp32 and dequantises to weights within one step")
    func closeToFloat() throws {
        var r = TestRandom(5)
        let (rows, k, n) = (40, 768, 300)
        let x = r.matrix(rows, k), w = r.matrix(n, k, scale: 0.05), b = r.array(n)
        let exact = Linear(weight: Tensor(w), bias: Tensor(shape: [n], scalars: b), packed: false)
        let quantised = Linear(weight: Tensor(w), bias: Tensor(shape: [n], scalars: b), precision: .int8)
        #expect(quantised.precision == .int8 && exact.precision == .fp32)
        let a = exact(Tensor(x)).scalars, q = quantised(Tensor(x)).scalars
        let error = zip(a, q).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / a.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(error < 0.02, "relative error \(error)")
        let back = quantised.weight.scalars, original = w.flatMap { $0 }
        let step = original.map(abs).max()! / 127
        #expect(zip(back, original).allSatisfy { abs($0 - $1) <= step * 0.5 + 1e-6 })
    }

    @Test("an int8 convolution reads each output frame's window quantised on its own and stays within 2% of fp32")
    func convolution() {
        var r = TestRandom(9)
        let (cin, cout, k, frames) = (64, 48, 3, 101)
        let w = Tensor(shape: [cout, cin, k], scalars: r.array(cout * cin * k, scale: 0.1))
        let b = Tensor(shape: [cout], scalars: r.array(cout))
        // A loud half and a quiet half: per-window scales keep the quiet frames right.
        var x = Tensor(shape: [frames, cin], scalars: r.array(frames * cin))
        for i in (frames / 2 * cin)..<(frames * cin) { x.scalars[i] *= 0.001 }
        let exact = Conv1d(weight: w, bias: b, stride: 2)(x).scalars
        let conv = Conv1d(weight: w, bias: b, stride: 2, precision: .int8)
        #expect(conv.precision == .int8)
        let q = conv(x).scalars
        for (e, v) in zip(exact.chunked(cout), q.chunked(cout)) {
            let error = zip(e, v).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / e.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(error < 0.02)
        }
    }
}

private extension Array {
    func chunked(_ n: Int) -> [ArraySlice<Element>] { stride(from: 0, to: count, by: n).map { self[$0..<Swift.min(count, $0 + n)] } }
}
