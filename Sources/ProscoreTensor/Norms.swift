/// `torch.nn.LayerNorm` over the last dimension (channels of time-major data).
public struct LayerNorm: Sendable {
    /// `nil` when the norm has no affine parameters (`elementwise_affine=False`).
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) {
        precondition((weight == nil) == (bias == nil), "LayerNorm needs both weight and bias, or neither")
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: inout Tensor) {
        let (rows, cols) = (x.rows, x.columns)
        precondition(weight == nil || weight!.count == cols, "LayerNorm over \(weight!.count) channels, got \(x.shape)")
        x.withUnsafeMutablePointer { p in
            if let weight, let bias {
                weight.withUnsafePointer { g in
                    bias.withUnsafePointer { b in
                        Normalization.layerNorm(p, rows: rows, columns: cols, gamma: g, beta: b, epsilon: epsilon)
                    }
                }
            } else {
                Normalization.layerNorm(p, rows: rows, columns: cols, gamma: nil, beta: nil, epsilon: epsilon)
            }
        }
    }
}

/// `torch.nn.GroupNorm` on time-major `[frames, channels]` data.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let weight: Tensor
    public let bias: Tensor
    public let epsilon: Float

    public init(groups: Int, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) {
        precondition(weight.count % groups == 0, "GroupNorm channels must divide into groups")
        self.groups = groups
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    public func callAsFunction(_ x: inout Tensor) {
        let (rows, cols) = (x.rows, x.columns)
        precondition(cols == weight.count, "GroupNorm over \(weight.count) channels, got \(x.shape)")
        x.withUnsafeMutablePointer { p in
            weight.withUnsafePointer { g in
                bias.withUnsafePointer { b in
                    Normalization.groupNorm(p, rows: rows, columns: cols, groups: groups, gamma: g, beta: b, epsilon: epsilon)
                }
            }
        }
    }
}
