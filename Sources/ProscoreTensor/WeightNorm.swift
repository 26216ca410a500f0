/// Weight-norm reconstruction, `w = g · v / ‖v‖`, as `torch.nn.utils.weight_norm` and its
/// parametrization form store it (`weight_g`/`weight_v`, or `original0`/`original1`).
public enum WeightNorm {
    /// `g` holds one magnitude per index along `dimension` of `v` (other dimensions 1);
    /// the norm of `v` is taken over all the other dimensions.
    public static func reconstruct(g: Tensor, v: Tensor, dimension: Int) -> Tensor {
        precondition(dimension >= 0 && dimension < v.rank, "weight norm dimension out of range")
        let d = v.shape[dimension]
        precondition(g.count == d, "weight_g has \(g.count) values, weight_v has \(d) along dim \(dimension)")
        let inner = v.shape[(dimension + 1)...].reduce(1, *)
        let outer = v.shape[..<dimension].reduce(1, *)
        var norms = [Double](repeating: 0, count: d)
        for o in 0..<outer {
            for j in 0..<d {
                for i in 0..<inner {
                    let x = Double(v.scalars[(o * d + j) * inner + i])
                    norms[j] += x * x
                }
            }
        }
        var w = v
        for o in 0..<outer {
            for j in 0..<d {
                let s = Float(Double(g.scalars[j]) / norms[j].squareRoot())
                for i in 0..<inner { w.scalars[(o * d + j) * inner + i] *= s }
            }
        }
        return w
    }
}
