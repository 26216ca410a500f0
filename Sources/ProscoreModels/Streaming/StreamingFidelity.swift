import ProscoreTensor

/// How close streamed frames are to the offline encoder's, per hidden-state index.
public struct LayerFidelity: Sendable, Equatable, Codable {
    /// Mean over frames of the cosine similarity between streamed and offline frames.
    public var meanCosine: Double
    public var minimumCosine: Double
    public var maxAbsDifference: Float

    /// Frame-by-frame agreement of two `[frames, dim]` outputs of one layer (two precisions,
    /// or streamed against offline).
    public static func between(_ a: Tensor, _ b: Tensor) -> LayerFidelity { StreamingFidelity.compare(a, b) }

    /// Per hidden-state index, the fidelity of `a` to `b` averaged over several recordings
    /// (means averaged, minima and worst differences kept).
    public static func summarise(_ perRecording: [[LayerFidelity]]) -> [LayerFidelity] {
        guard let first = perRecording.first else { return [] }
        return first.indices.map { i in
            let column = perRecording.map { $0[i] }
            return LayerFidelity(meanCosine: column.map(\.meanCosine).reduce(0, +) / Double(column.count),
                                 minimumCosine: column.map(\.minimumCosine).min()!, maxAbsDifference: column.map(\.maxAbsDifference).max()!)
        }
    }
}

/// Streamed output put back together and compared with an offline pass.
public struct StreamingFidelity: Sendable {
    public let layers: [LayerFidelity]
    /// Greedy CTC transcripts, when the model has a head and a vocabulary was given.
    public let streamedTranscript: String?
    public let offlineTranscript: String?

    public var transcriptsAgree: Bool? {
        guard let streamedTranscript, let offlineTranscript else { return nil }
        return streamedTranscript == offlineTranscript
    }

    public init(chunks: [StreamingChunk], offline: AudioEncoderOutput, vocabulary: CTCVocabulary? = nil) {
        let streamed = Self.concatenate(chunks)
        precondition(streamed.states.first?.shape == offline.hiddenStates.first?.shape,
                     "streamed and offline frame counts differ")
        layers = zip(streamed.states, offline.hiddenStates).map(Self.compare)
        if let vocabulary, let logits = streamed.logits, let offlineLogits = offline.logits {
            streamedTranscript = vocabulary.greedyTranscript(logits)
            offlineTranscript = vocabulary.greedyTranscript(offlineLogits)
        } else {
            streamedTranscript = nil
            offlineTranscript = nil
        }
    }

    /// All chunks' hidden states and logits, in frame order.
    public static func concatenate(_ chunks: [StreamingChunk]) -> (states: [Tensor], logits: Tensor?) {
        guard let first = chunks.first else { return ([], nil) }
        let frames = chunks.reduce(0) { $0 + $1.frameCount }
        let states = first.hiddenStates.indices.map { i in
            Tensor(shape: [frames, first.hiddenStates[i].shape[1]], scalars: chunks.flatMap { $0.hiddenStates[i].scalars })
        }
        let logits = first.logits.map { l in
            Tensor(shape: [frames, l.shape[1]], scalars: chunks.flatMap { $0.logits!.scalars })
        }
        return (states, logits)
    }

    static func compare(_ a: Tensor, _ b: Tensor) -> LayerFidelity {
        let (frames, d) = (a.shape[0], a.shape[1])
        var sum = 0.0, minimum = 1.0
        var worst: Float = 0
        for t in 0..<frames {
            var dot = 0.0, na = 0.0, nb = 0.0
            for j in 0..<d {
                let x = Double(a.scalars[t * d + j]), y = Double(b.scalars[t * d + j])
                dot += x * y; na += x * x; nb += y * y
                worst = max(worst, abs(a.scalars[t * d + j] - b.scalars[t * d + j]))
            }
            let cosine = na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : (na == nb ? 1 : 0)
            sum += cosine
            minimum = min(minimum, cosine)
        }
        return LayerFidelity(meanCosine: frames > 0 ? sum / Double(frames) : 1, minimumCosine: minimum, maxAbsDifference: worst)
    }
}
