import ProscoreTensor

/// Conv features → transformer width: optional layer norm, then a linear map.
public struct FeatureProjection: Sendable {
    /// Absent in HuBERT checkpoints with `feat_proj_layer_norm = false`.
    public let norm: LayerNorm?
    public let projection: Linear

    public func callAsFunction(_ features: Tensor) -> Tensor {
        var x = features
        norm?(&x)
        return projection(x)
    }
}
