import ProscoreTensor

/// Sentence embeddings as sentence-transformers computes them for all-MiniLM-L6-v2: mean
/// of the last hidden state over the tokens ([CLS] and [SEP] included), optionally
/// L2-normalised. Texts longer than the model's positions are cut into overlapping
/// windows whose means are averaged, weighted by their token counts.
public struct SentenceEmbedder: Sendable {
    public let model: BertModel
    public let tokenizer: WordPieceTokenizer
    /// Word pieces per window (without [CLS] and [SEP]) and the step between windows.
    public let windowPieces: Int
    public let windowStride: Int

    public init(model: BertModel, tokenizer: WordPieceTokenizer) {
        self.model = model
        self.tokenizer = tokenizer
        windowPieces = model.maxTokens - 2
        windowStride = max(1, windowPieces / 2)
    }

    /// Word-piece windows `text` is cut into (one for texts that fit).
    public func windows(_ text: String) -> [[Int]] {
        let pieces = tokenizer.wordPieceIds(text)
        guard pieces.count > windowPieces else { return [pieces] }
        var result: [[Int]] = []
        var start = 0
        while true {
            let end = min(pieces.count, start + windowPieces)
            result.append(Array(pieces[start..<end]))
            if end == pieces.count { break }
            start += windowStride
        }
        return result
    }

    /// The embedding of `text`, `[hidden]`.
    public func embed(_ text: String, normalize: Bool = true) -> Tensor {
        let h = model.config.hiddenSize
        var sum = [Double](repeating: 0, count: h)
        var tokens = 0
        for window in windows(text) {
            let ids = [tokenizer.classifierId] + window + [tokenizer.separatorId]
            let last = model(ids).lastHiddenState
            for t in 0..<ids.count { for j in 0..<h { sum[j] += Double(last.scalars[t * h + j]) } }
            tokens += ids.count
        }
        var mean = sum.map { Float($0 / Double(max(1, tokens))) }
        if normalize {
            let norm = max(1e-12, mean.reduce(0) { $0 + $1 * $1 }.squareRoot())
            mean = mean.map { $0 / norm }
        }
        return Tensor(shape: [h], scalars: mean)
    }

    /// Cosine similarity of two embeddings.
    public static func cosine(_ a: Tensor, _ b: Tensor) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<a.count { dot += a.scalars[i] * b.scalars[i]; na += a.scalars[i] * a.scalars[i]; nb += b.scalars[i] * b.scalars[i] }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }
}
