import Foundation
import ProscoreCheckpoint
import ProscoreTensor

/// What one BERT pass produces for one sequence.
public struct BertOutput: Sendable {
    /// Embedding output then each layer's output, `numHiddenLayers + 1` of `[tokens, hidden]`.
    public var hiddenStates: [Tensor]
    public var lastHiddenState: Tensor { hiddenStates.last! }
    /// `tanh(W · h[CLS] + b)` when the checkpoint has a pooler.
    public var pooled: Tensor?
}

/// `BertModel` as transformers computes it, for one unpadded sequence: word + position +
/// token-type embeddings and layer norm, post-norm transformer layers, optional pooler.
public struct BertModel: Sendable {
    public let config: BertConfig
    public let wordEmbeddings: Tensor
    public let positionEmbeddings: Tensor
    public let tokenTypeEmbeddings: Tensor
    public let embeddingNorm: LayerNorm
    public let layers: [TransformerLayer]
    public let pooler: Linear?

    /// Longest sequence the position embeddings allow, in tokens.
    public var maxTokens: Int { positionEmbeddings.shape[0] }

    public func callAsFunction(_ ids: [Int], tokenTypes: [Int]? = nil) -> BertOutput {
        precondition(ids.count <= maxTokens, "\(ids.count) tokens exceed the \(maxTokens) positions; use sliding windows")
        let h = config.hiddenSize
        var x = Tensor(zeros: [ids.count, h])
        for (t, id) in ids.enumerated() {
            precondition(id >= 0 && id < wordEmbeddings.shape[0], "token id \(id) outside the vocabulary")
            let type = tokenTypes?[t] ?? 0
            for j in 0..<h {
                x.scalars[t * h + j] = wordEmbeddings.scalars[id * h + j] + positionEmbeddings.scalars[t * h + j]
                    + tokenTypeEmbeddings.scalars[type * h + j]
            }
        }
        embeddingNorm(&x)
        var states = [x]
        for layer in layers {
            x = layer(x)
            states.append(x)
        }
        var pooled: Tensor?
        if let pooler, !ids.isEmpty {
            var p = pooler(x.rows(0..<1))
            for i in 0..<p.count { p.scalars[i] = tanh(p.scalars[i]) }
            pooled = p.reshaped([h])
        }
        return BertOutput(hiddenStates: states, pooled: pooled)
    }
}

/// Builds a `BertModel` from checkpoint tensors; every tensor name it uses is here.
public enum BertLoader {
    public struct Loaded: Sendable {
        public let model: BertModel
        public let tokenizer: WordPieceTokenizer
        public let unusedTensors: [String]
        public let directory: CheckpointDirectory
    }

    /// Loads config.json, model.safetensors, vocab.txt and tokenizer_config.json from `path`.
    public static func load(path: String) throws -> Loaded {
        let directory = try CheckpointDirectory(path: path)
        guard case let .bert(config) = directory.config else {
            throw CheckpointError.badConfig(path: directory.configPath, detail: "is not a BERT model (model_type must be bert)")
        }
        let tokenizer = try WordPieceTokenizer(directory: path)
        let store = WeightStore(file: try directory.openWeights())
        let model = try build(config: config, from: store)
        guard tokenizer.tokens.count == model.wordEmbeddings.shape[0] else {
            throw CheckpointError.badConfig(
                path: directory.file("vocab.txt"),
                detail: "has \(tokenizer.tokens.count) tokens but the model's word embeddings have \(model.wordEmbeddings.shape[0]) rows: vocab.txt and model.safetensors do not belong together")
        }
        return Loaded(model: model, tokenizer: tokenizer, unusedTensors: store.unused, directory: directory)
    }

    public static func build(config: BertConfig, from source: TensorSource) throws -> BertModel {
        let prefix = source.contains("embeddings.word_embeddings.weight") ? "" : "bert."
        let h = config.hiddenSize, eps = config.layerNormEps
        func take(_ name: String, _ shape: [Int]) throws -> Tensor { try source.take(prefix + name, shape: shape) }
        func linear(_ name: String, _ inFeatures: Int, _ out: Int) throws -> Linear {
            Linear(weight: try take(name + ".weight", [out, inFeatures]), bias: try take(name + ".bias", [out]))
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: try take(name + ".weight", [h]), bias: try take(name + ".bias", [h]), epsilon: eps)
        }
        guard let activation = Activation(rawValue: config.hiddenAct) else {
            throw CheckpointError.badConfig(path: "config.json", detail: "hidden_act '\(config.hiddenAct)' is not supported (gelu or relu)")
        }
        // MARK: embeddings
        let word = try take("embeddings.word_embeddings.weight", [config.vocabSize, h])
        let position = try take("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h])
        let type = try take("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h])
        // MARK: encoder.layer.{i}
        var layers: [TransformerLayer] = []
        for i in 0..<config.numHiddenLayers {
            let p = "encoder.layer.\(i)."
            layers.append(TransformerLayer(
                attention: MultiHeadAttention(
                    query: try linear(p + "attention.self.query", h, h), key: try linear(p + "attention.self.key", h, h),
                    value: try linear(p + "attention.self.value", h, h), output: try linear(p + "attention.output.dense", h, h),
                    heads: config.numAttentionHeads),
                attentionNorm: try norm(p + "attention.output.LayerNorm"),
                feedForward: FeedForward(intermediate: try linear(p + "intermediate.dense", h, config.intermediateSize),
                                         output: try linear(p + "output.dense", config.intermediateSize, h),
                                         activation: activation),
                finalNorm: try norm(p + "output.LayerNorm"),
                preNorm: false))
        }
        // MARK: pooler (absent in some sentence-embedding checkpoints)
        let pooler = source.contains(prefix + "pooler.dense.weight") ? try linear("pooler.dense", h, h) : nil
        return BertModel(config: config, wordEmbeddings: word, positionEmbeddings: position, tokenTypeEmbeddings: type,
                         embeddingNorm: try norm("embeddings.LayerNorm"), layers: layers, pooler: pooler)
    }
}
