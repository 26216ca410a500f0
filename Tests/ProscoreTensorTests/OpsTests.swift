import Foundation
import Testing
@testable import ProscoreTensor

@Suite("tensor ops against the plain Swift reference")
struct OpsTests {
    @Test("GEMM through cblas_sgemm equals a naive matrix product, with transposes and strided rows")
    func gemm() {
        var r = TestRandom(1)
        let a = r.matrix(37, 53), b = r.matrix(53, 29)
        let expected = Reference.matmul(a, b)
        // A as given, B passed transposed ([29, 53] row-major) to exercise .transpose.
        let at = Tensor(a), bt = Tensor(b).transposed()
        var c = Tensor(zeros: [37, 29])
        at.withUnsafePointer { ap in bt.withUnsafePointer { bp in c.withUnsafeMutablePointer { cp in
            BLAS.gemm(.none, .transpose, m: 37, n: 29, k: 53, a: ap, lda: 53, b: bp, ldb: 53, c: cp, ldc: 29)
        } } }
        #expect(maxAbsDiff(c.matrix, expected) < 1e-4)

        // Strided views: the left 20 columns of A times the top 20 rows of B.
        let expectedView = Reference.matmul(a.map { Array($0[0..<20]) }, Array(b[0..<20]))
        var cv = Tensor(zeros: [37, 29])
        at.withUnsafePointer { ap in Tensor(b).withUnsafePointer { bp in cv.withUnsafeMutablePointer { cp in
            BLAS.gemm(.none, .none, m: 37, n: 29, k: 20, a: ap, lda: 53, b: bp, ldb: 29, c: cp, ldc: 29)
        } } }
        #expect(maxAbsDiff(cv.matrix, expectedView) < 1e-4)
    }

    @Test("double-precision Gram, Aᵀ·B and Cholesky solve: known answers; a matrix that is not positive definite gives nil")
    func regressionAlgebra() {
        let a: [Double] = [1, 2, 3, 4, 5, 6]  // 3×2
        #expect(BLAS.gram(a, rows: 3, columns: 2) == [35, 44, 44, 56])
        #expect(BLAS.transposedProduct(a, [1, 0, 1], rows: 3, columns: 2, outputs: 1) == [6, 8])
        let x = BLAS.solvePositiveDefinite([4, 2, 2, 3], [10, 1, 7, 2], n: 2, k: 2)!  // columns (2, 1) and (-0.125, 0.75)
        for (got, want) in zip(x, [2, -0.125, 1, 0.75]) { #expect(abs(got - want) < 1e-12) }
        #expect(BLAS.solvePositiveDefinite([1, 2, 2, 1], [1, 1], n: 2, k: 1) == nil)
    }

    @Test("Linear equals x·Wᵀ + b, through OpenBLAS and through the packed kernel, on 1 and 2 threads",
          arguments: [true, false], [false, true])
    func linear(withBias: Bool, packed: Bool) {
        var r = TestRandom(2)
        for (rows, inputs, outputs) in [(11, 24, 17), (40, 300, 100), (1, 768, 33)] {
            let x = r.matrix(rows, inputs), w = r.matrix(outputs, inputs, scale: 0.1), b = r.array(outputs)
            let layer = Linear(weight: Tensor(w), bias: withBias ? Tensor(shape: [outputs], scalars: b) : nil, packed: packed)
            #expect(layer.isPacked == (packed && PackedMatrix.isSupported))
            #expect(layer.weight.matrix == w)
            let expected = Reference.linear(x, weight: w, bias: withBias ? b : nil)
            for threads in [1, 2] {
                Compute.threadCount = threads
                #expect(maxAbsDiff(layer(Tensor(x)).matrix, expected) < 1e-4)
            }
            Compute.threadCount = 1
        }
    }

    @Test("packed GEMM kernel: tile, panel and depth-block edges, accumulation, input ranges, overlapping rows",
          .enabled(if: PackedMatrix.isSupported))
    func packedMatrix() {
        var r = TestRandom(21)
        for (rows, outputs, inputs) in [(1, 1, 1), (7, 31, 255), (8, 32, 256), (9, 33, 257), (40, 48, 600), (130, 100, 20), (300, 64, 513)] {
            let w = r.matrix(outputs, inputs, scale: 0.1)
            let packed = PackedMatrix(Tensor(w))!
            #expect(packed.unpacked().matrix == w)
            let x = r.matrix(rows, inputs)
            let start = r.matrix(rows, outputs)
            // Plain product, then accumulated onto `start`, over all inputs.
            let product = Reference.matmul(x, transpose(w))
            for accumulate in [false, true] {
                var y = Tensor(start)
                Tensor(x).withUnsafePointer { xp in
                    y.withUnsafeMutablePointer { packed.multiply(xp, rows: rows, ldx: inputs, into: $0, ldy: outputs, accumulate: accumulate) }
                }
                let expected = accumulate ? zip(product, start).map { zip($0, $1).map { $0 + $1 } } : product
                #expect(maxAbsDiff(y.matrix, expected) < 1e-4, "\(rows)×\(outputs)×\(inputs) accumulate \(accumulate)")
            }
            // A range of inputs, output panels one at a time.
            let inputRange = (inputs / 3)..<inputs
            var y = Tensor(zeros: [rows, outputs])
            Tensor(x).withUnsafePointer { xp in
                y.withUnsafeMutablePointer { yp in
                    for p in 0..<packed.panelCount {
                        packed.multiply(xp + inputRange.lowerBound, rows: rows, ldx: inputs, inputs: inputRange,
                                        into: yp, ldy: outputs, accumulate: false, panels: p..<(p + 1))
                    }
                }
            }
            let partial = Reference.matmul(x.map { Array($0[inputRange]) }, transpose(w.map { Array($0[inputRange]) }))
            #expect(maxAbsDiff(y.matrix, partial) < 1e-4)
        }
        // Overlapping rows: row t reads `inputs` floats from offset 3·t of one long signal.
        let signal = r.array(3 * 20 + 12), w = r.matrix(40, 12)
        let packed = PackedMatrix(Tensor(w))!
        var y = Tensor(zeros: [21, 40])
        signal.withUnsafeBufferPointer { s in
            y.withUnsafeMutablePointer { packed.multiply(s.baseAddress!, rows: 21, ldx: 3, into: $0, ldy: 40, accumulate: false) }
        }
        let windows = (0..<21).map { Array(signal[(3 * $0)..<(3 * $0 + 12)]) }
        #expect(maxAbsDiff(y.matrix, Reference.matmul(windows, transpose(w))) < 1e-4)
    }

    private func transpose(_ m: [[Float]]) -> [[Float]] {
        (0..<m[0].count).map { j in m.map { $0[j] } }
    }

    struct ConvCase: Sendable, CustomTestStringConvertible {
        let frames, cin, cout, kernel, stride, padding, groups: Int
        let bias: Bool
        var testDescription: String { "T\(frames) \(cin)→\(cout) k\(kernel) s\(stride) p\(padding) g\(groups)\(bias ? " +b" : "")" }
    }

    @Test("Conv1d equals PyTorch's definition for every code path, OpenBLAS and packed kernel", arguments: [
        ConvCase(frames: 400, cin: 1, cout: 8, kernel: 10, stride: 5, padding: 0, groups: 1, bias: false),   // first wav2vec2 conv: thin, im2col
        ConvCase(frames: 79, cin: 160, cout: 24, kernel: 3, stride: 2, padding: 0, groups: 1, bias: true),   // tap blocks (stride·in ≥ 256)
        ConvCase(frames: 80, cin: 256, cout: 16, kernel: 2, stride: 2, padding: 0, groups: 1, bias: false),  // kernel ≤ stride: one GEMM
        ConvCase(frames: 50, cin: 16, cout: 16, kernel: 16, stride: 1, padding: 8, groups: 4, bias: true),   // positional conv: grouped, padded
        ConvCase(frames: 30, cin: 12, cout: 12, kernel: 5, stride: 1, padding: 2, groups: 3, bias: true),    // data2vec positional conv
        ConvCase(frames: 9, cin: 6, cout: 4, kernel: 3, stride: 3, padding: 1, groups: 2, bias: false),
        ConvCase(frames: 70, cin: 96, cout: 96, kernel: 32, stride: 1, padding: 16, groups: 2, bias: true), // wide grouped, 48 per group
    ], [false, true])
    func conv1d(_ c: ConvCase, packed: Bool) {
        var r = TestRandom(UInt64(c.frames * 31 + c.kernel))
        let x = r.matrix(c.frames, c.cin)
        let w = (0..<c.cout).map { _ in r.matrix(c.cin / c.groups, c.kernel) }
        let b = r.array(c.cout)
        let conv = Conv1d(weight: Tensor(shape: [c.cout, c.cin / c.groups, c.kernel], scalars: w.flatMap { $0.flatMap { $0 } }),
                          bias: c.bias ? Tensor(shape: [c.cout], scalars: b) : nil,
                          stride: c.stride, padding: c.padding, groups: c.groups, packed: packed)
        let thin = c.groups == 1 && c.cin * c.kernel <= 32
        #expect(conv.isPacked == (packed && PackedMatrix.isSupported && !thin))
        let y = conv(Tensor(x))
        let expected = Reference.conv1d(x, weight: w, bias: c.bias ? b : nil, stride: c.stride, padding: c.padding, groups: c.groups)
        #expect(y.shape == [expected.count, c.cout])
        #expect(conv.outputFrames(inputFrames: c.frames) == expected.count)
        #expect(maxAbsDiff(y.matrix, expected) < 1e-4)
    }

    @Test("Conv1d on input shorter than its kernel yields no frames")
    func convTooShort() {
        let conv = Conv1d(weight: Tensor(zeros: [2, 1, 10]), bias: nil, stride: 5)
        #expect(conv(Tensor(zeros: [9, 1])).shape == [0, 2])
    }

    @Test("LayerNorm with and without affine parameters")
    func layerNorm() {
        var r = TestRandom(3)
        let x = r.matrix(7, 45, scale: 3), g = r.array(45), b = r.array(45)
        var t = Tensor(x.map { $0.map { $0 + 5 } })
        LayerNorm(weight: Tensor(shape: [45], scalars: g), bias: Tensor(shape: [45], scalars: b), epsilon: 1e-5)(&t)
        #expect(maxAbsDiff(t.matrix, x.map { Reference.layerNorm($0.map { $0 + 5 }, gamma: g, beta: b, eps: 1e-5) }) < 1e-4)
        var plain = Tensor(x)
        LayerNorm(weight: nil, bias: nil)(&plain)
        #expect(maxAbsDiff(plain.matrix, x.map { Reference.layerNorm($0, gamma: nil, beta: nil, eps: 1e-5) }) < 1e-4)
    }

    @Test("GroupNorm over time, one channel per group and several", arguments: [12, 4, 1])
    func groupNorm(groups: Int) {
        var r = TestRandom(4)
        let x = r.matrix(300, 12, scale: 2).map { $0.map { $0 + 1 } }
        let g = r.array(12), b = r.array(12)
        var t = Tensor(x)
        GroupNorm(groups: groups, weight: Tensor(shape: [12], scalars: g), bias: Tensor(shape: [12], scalars: b))(&t)
        #expect(maxAbsDiff(t.matrix, Reference.groupNorm(x, groups: groups, gamma: g, beta: b, eps: 1e-5)) < 1e-4)
    }

    @Test("exact GELU, erf and exp kernels over their whole range, tails included")
    func elementwise() {
        let xs = (0..<2003).map { Float($0 - 1000) / 100 }  // -10 … 10.02, odd count for the tail path
        var g = xs
        g.withUnsafeMutableBufferPointer { VectorMath.gelu($0.baseAddress!, count: $0.count) }
        #expect(zip(g, xs).map { abs($0 - Reference.gelu($1)) }.max()! < 2e-6)

        var e = xs
        e.withUnsafeMutableBufferPointer { VectorMath.erf($0.baseAddress!, $0.baseAddress!, count: $0.count) }
        #expect(zip(e, xs).map { abs($0 - Float(Foundation.erf(Double($1)))) }.max()! < 1e-6)

        let ys = (0..<1001).map { Float($0) / 10 - 87 }  // -87 … 13
        var x = ys
        x.withUnsafeMutableBufferPointer { VectorMath.exp($0.baseAddress!, $0.baseAddress!, count: $0.count) }
        #expect(zip(x, ys).map { abs($0 / Float(Foundation.exp(Double($1))) - 1) }.max()! < 1e-6)
    }

    @Test("softmax rows sum to one and match the reference, large logits included")
    func softmax() {
        var r = TestRandom(5)
        let x = r.matrix(5, 37, scale: 30)
        var t = Tensor(x)
        t.withUnsafeMutablePointer { Softmax.rows($0, rows: 5, columns: 37) }
        #expect(maxAbsDiff(t.matrix, x.map(Reference.softmax)) < 1e-6)
    }

    @Test("multi-head attention equals the transformers formulation")
    func attention() {
        var r = TestRandom(6)
        let h = 16, heads = 4, frames = 13
        let x = r.matrix(frames, h)
        func proj() -> ([[Float]], [Float]) { (r.matrix(h, h, scale: 0.5), r.array(h, scale: 0.1)) }
        let q = proj(), k = proj(), v = proj(), o = proj()
        func linear(_ p: ([[Float]], [Float])) -> Linear { Linear(weight: Tensor(p.0), bias: Tensor(shape: [h], scalars: p.1)) }
        let mha = MultiHeadAttention(query: linear(q), key: linear(k), value: linear(v), output: linear(o), heads: heads)
        let expected = Reference.attention(x, q: q, k: k, v: v, o: o, heads: heads)
        #expect(maxAbsDiff(mha(Tensor(x)).matrix, expected) < 1e-4)
    }

    @Test("weight norm: w = g·v/‖v‖ with the norm over all axes but the kernel axis")
    func weightNorm() {
        var r = TestRandom(7)
        let v = Tensor(shape: [4, 3, 5], scalars: r.array(60)), g = Tensor(shape: [1, 1, 5], scalars: r.array(5))
        let w = WeightNorm.reconstruct(g: g, v: v, dimension: 2)
        for k in 0..<5 {
            var norm = 0.0
            for o in 0..<4 { for i in 0..<3 { norm += Double(v.scalars[(o * 3 + i) * 5 + k] * v.scalars[(o * 3 + i) * 5 + k]) } }
            for o in 0..<4 { for i in 0..<3 {
                let expected = Double(g.scalars[k]) * Double(v.scalars[(o * 3 + i) * 5 + k]) / norm.squareRoot()
                #expect(abs(Double(w.scalars[(o * 3 + i) * 5 + k]) - expected) < 1e-6)
            } }
        }
    }

    @Test("results do not depend on the thread count", arguments: [1, 2, 3])
    func threads(_ n: Int) {
        var r = TestRandom(8)
        let x = r.matrix(600, 40, scale: 3)
        Compute.threadCount = n
        defer { Compute.threadCount = 1 }
        var t = Tensor(x)
        Activation.gelu.apply(&t)
        LayerNorm(weight: nil, bias: nil)(&t)
        let expected = x.map { Reference.layerNorm($0.map(Reference.gelu), gamma: nil, beta: nil, eps: 1e-5) }
        #expect(maxAbsDiff(t.matrix, expected) < 1e-4)
    }
}
