/// Activation functions by their Hugging Face `hidden_act` names.
public enum Activation: String, Sendable, CaseIterable {
    /// Exact GELU, `x · Φ(x)` (erf form): Hugging Face's "gelu".
    case gelu
    case relu

    /// Applies the activation in place to `count` floats.
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu:
            Compute.parallelRanges(count, minimumPerThread: 1 << 15) { r in
                VectorMath.gelu(x + r.lowerBound, count: r.count)
            }
        case .relu:
            for i in 0..<count { x[i] = max(0, x[i]) }
        }
    }

    public func apply(_ t: inout Tensor) {
        let n = t.count
        t.withUnsafeMutablePointer { apply($0, count: n) }
    }
}
