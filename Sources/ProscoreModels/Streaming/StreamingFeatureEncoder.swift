import ProscoreTensor

/// The conv feature encoder run on audio that arrives in pieces of any length.
///
/// Each conv layer keeps the tail of its input that its next outputs still need, so the
/// frames it produces are the offline encoder's frames, exactly, for checkpoints whose
/// conv layers use layer norm. Two parts of the offline computation look at the whole
/// utterance and cannot be streamed exactly; they use running statistics over everything
/// seen so far instead:
/// - the input normalisation (`do_normalize`): running mean and variance of the samples;
/// - the group norm after the first conv ("group" checkpoints: wav2vec2-base,
///   hubert-base): running per-channel mean and variance over time.
public final class StreamingFeatureEncoder {
    public let encoder: AudioEncoder
    private var layers: [LayerState]
    private var inputStatistics = RunningMoments(channels: 1)
    /// Frames emitted so far.
    public private(set) var framesProduced = 0

    final class LayerState {
        let layer: FeatureEncoder.Layer
        /// Input rows not yet fully used, `[rows, inChannels]`, row `firstRow` first.
        var pending: [Float] = []
        var firstRow = 0
        var nextOutput = 0
        /// Running statistics for a group norm (nil otherwise).
        var groupStatistics: RunningMoments?

        init(_ layer: FeatureEncoder.Layer) {
            self.layer = layer
            if case .group = layer.norm { groupStatistics = RunningMoments(channels: layer.conv.outChannels) }
        }
    }

    public init(encoder: AudioEncoder) {
        self.encoder = encoder
        layers = encoder.featureEncoder.layers.map(LayerState.init)
    }

    /// Whether streamed frames can equal offline ones exactly (no whole-utterance statistics).
    public var isExact: Bool {
        !encoder.preprocessor.doNormalize && layers.allSatisfy { $0.groupStatistics == nil }
    }

    /// Feeds raw 16 kHz samples; returns the conv features `[newFrames, channels]` they
    /// complete (possibly none).
    public func feed(_ samples: [Float]) -> Tensor {
        var x = samples
        if encoder.preprocessor.doNormalize && !x.isEmpty {
            inputStatistics.add(rows: x, count: x.count)
            let (mean, rstd) = inputStatistics.meanAndInverseDeviation(epsilon: 1e-7)[0]
            for i in x.indices { x[i] = Float((Double(x[i]) - mean) * rstd) }
        }
        var rows = Tensor(shape: [x.count, 1], scalars: x)
        for state in layers { rows = step(state, rows) }
        framesProduced += rows.shape[0]
        return rows
    }

    private func step(_ s: LayerState, _ input: Tensor) -> Tensor {
        let conv = s.layer.conv
        let c = conv.inChannels
        s.pending.append(contentsOf: input.scalars)
        let available = s.firstRow + s.pending.count / c
        // Output t needs input rows [stride·t, stride·t + kernel).
        let lastOutput = (available - conv.kernelSize) / conv.stride
        let count = available >= conv.kernelSize ? lastOutput - s.nextOutput + 1 : 0
        guard count > 0 else { return Tensor(zeros: [0, conv.outChannels]) }
        let offset = conv.stride * s.nextOutput - s.firstRow
        let rowsUsed = (count - 1) * conv.stride + conv.kernelSize
        var y = Tensor(zeros: [count, conv.outChannels])
        s.pending.withUnsafeBufferPointer { p in
            y.withUnsafeMutablePointer { conv.apply(p.baseAddress! + offset * c, paddedFrames: rowsUsed, into: $0) }
        }
        s.nextOutput += count
        // Keep only what the next output reads.
        let keepFrom = conv.stride * s.nextOutput - s.firstRow
        s.pending.removeFirst(min(s.pending.count, keepFrom * c))
        s.firstRow += keepFrom
        switch s.layer.norm {
        case .none: break
        case let .layer(norm): norm(&y)
        case let .group(norm):
            s.groupStatistics!.add(rows: y.scalars, count: count)
            s.groupStatistics!.normalise(&y, gamma: norm.weight.scalars, beta: norm.bias.scalars, epsilon: norm.epsilon)
        }
        s.layer.activation.apply(&y)
        return y
    }
}

/// Per-channel running mean and variance of time-major rows (Double accumulators).
struct RunningMoments {
    let channels: Int
    private(set) var count = 0
    private var sum: [Double]
    private var square: [Double]

    init(channels: Int) {
        self.channels = channels
        sum = [Double](repeating: 0, count: channels)
        square = [Double](repeating: 0, count: channels)
    }

    mutating func add(rows: [Float], count rowCount: Int) {
        for r in 0..<rowCount {
            for ch in 0..<channels {
                let v = Double(rows[r * channels + ch])
                sum[ch] += v
                square[ch] += v * v
            }
        }
        count += rowCount
    }

    func meanAndInverseDeviation(epsilon: Double) -> [(mean: Double, rstd: Double)] {
        let n = Double(max(1, count))
        return (0..<channels).map { ch in
            let mean = sum[ch] / n
            let variance = max(0, square[ch] / n - mean * mean)
            return (mean, 1 / (variance + epsilon).squareRoot())
        }
    }

    /// Group norm with one channel per group, using the statistics so far.
    func normalise(_ y: inout Tensor, gamma: [Float], beta: [Float], epsilon: Float) {
        let stats = meanAndInverseDeviation(epsilon: Double(epsilon))
        let scale = (0..<channels).map { Float(stats[$0].rstd) * gamma[$0] }
        let shift = (0..<channels).map { beta[$0] - Float(stats[$0].mean * stats[$0].rstd) * gamma[$0] }
        let rows = y.shape[0]
        y.withUnsafeMutablePointer { p in
            for r in 0..<rows {
                for ch in 0..<channels { p[r * channels + ch] = p[r * channels + ch] * scale[ch] + shift[ch] }
            }
        }
    }
}
