import Foundation
@testable import ProscoreTensor

/// Plain, obviously-correct Swift versions of every op: the oracle for the fast kernels.
/// Sequences are `[frames][channels]` like the library's time-major tensors.
enum Reference {
    static func matmul(_ a: [[Float]], _ b: [[Float]]) -> [[Float]] {
        let m = a.count, k = b.count, n = b[0].count
        return (0..<m).map { i in (0..<n).map { j in Float((0..<k).reduce(0.0) { $0 + Double(a[i][$1]) * Double(b[$1][j]) }) } }
    }

    /// PyTorch Conv1d semantics; `weight[o][i][k]` with `i` within the group.
    static func conv1d(_ x: [[Float]], weight: [[[Float]]], bias: [Float]?, stride: Int, padding: Int, groups: Int) -> [[Float]] {
        let tIn = x.count, cin = x[0].count, cout = weight.count, k = weight[0][0].count
        let cinG = cin / groups, coutG = cout / groups
        let tOut = (tIn + 2 * padding - k) / stride + 1
        return (0..<tOut).map { t in
            (0..<cout).map { o in
                let g = o / coutG
                var s = Double(bias?[o] ?? 0)
                for i in 0..<cinG {
                    for j in 0..<k {
                        let src = t * stride + j - padding
                        if src >= 0 && src < tIn { s += Double(weight[o][i][j]) * Double(x[src][g * cinG + i]) }
                    }
                }
                return Float(s)
            }
        }
    }

    static func layerNorm(_ row: [Float], gamma: [Float]?, beta: [Float]?, eps: Float) -> [Float] {
        let n = Double(row.count)
        let mean = row.reduce(0.0) { $0 + Double($1) } / n
        let v = row.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return row.indices.map { j in
            let y = Float((Double(row[j]) - mean) / (v + Double(eps)).squareRoot())
            return gamma == nil ? y : y * gamma![j] + beta![j]
        }
    }

    static func groupNorm(_ x: [[Float]], groups: Int, gamma: [Float], beta: [Float], eps: Float) -> [[Float]] {
        let c = x[0].count, per = c / groups
        var out = x
        for g in 0..<groups {
            var values: [Double] = []
            for row in x { for ch in (g * per)..<((g + 1) * per) { values.append(Double(row[ch])) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let v = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            for t in x.indices {
                for ch in (g * per)..<((g + 1) * per) {
                    out[t][ch] = Float((Double(x[t][ch]) - mean) / (v + Double(eps)).squareRoot()) * gamma[ch] + beta[ch]
                }
            }
        }
        return out
    }

    static func gelu(_ x: Float) -> Float { Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }

    static func softmax(_ row: [Float]) -> [Float] {
        let m = row.max()!
        let e = row.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    static func linear(_ x: [[Float]], weight: [[Float]], bias: [Float]?) -> [[Float]] {
        x.map { row in weight.indices.map { o in
            Float(row.indices.reduce(Double(bias?[o] ?? 0)) { $0 + Double(row[$1]) * Double(weight[o][$1]) })
        } }
    }

    /// Multi-head self-attention as transformers writes it: q scaled after projection.
    static func attention(_ x: [[Float]], q: ([[Float]], [Float]), k: ([[Float]], [Float]), v: ([[Float]], [Float]),
                          o: ([[Float]], [Float]), heads: Int) -> [[Float]] {
        let h = x[0].count, d = h / heads
        let qs = linear(x, weight: q.0, bias: q.1).map { $0.map { $0 / Float(d).squareRoot() } }
        let ks = linear(x, weight: k.0, bias: k.1), vs = linear(x, weight: v.0, bias: v.1)
        var context = [[Float]](repeating: [Float](repeating: 0, count: h), count: x.count)
        for head in 0..<heads {
            let r = (head * d)..<((head + 1) * d)
            for i in x.indices {
                let scores = x.indices.map { j in r.reduce(Float(0)) { $0 + qs[i][$1] * ks[j][$1] } }
                let p = softmax(scores)
                for c in r { context[i][c] = x.indices.reduce(Float(0)) { $0 + p[$1] * vs[$1][c] } }
            }
        }
        return linear(context, weight: o.0, bias: o.1)
    }
}

/// Deterministic pseudo-random numbers for tests.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed | 1 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
    mutating func matrix(_ r: Int, _ c: Int, scale: Float = 1) -> [[Float]] { (0..<r).map { _ in array(c, scale: scale) } }
}

extension Tensor {
    init(_ m: [[Float]]) { self.init(shape: [m.count, m.first?.count ?? 0], scalars: m.flatMap { $0 }) }
    var matrix: [[Float]] { (0..<shape[0]).map { Array(scalars[($0 * shape[1])..<(($0 + 1) * shape[1])]) } }
}

func maxAbsDiff(_ a: [[Float]], _ b: [[Float]]) -> Float {
    precondition(a.count == b.count && a.first?.count == b.first?.count, "shapes differ")
    return zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
}
