// Shared helpers of the Llama tests: fixture paths (found via #filePath, no bundles),
// the golden JSON written by Tools/make_decoder_fixtures.py, and error metrics.
import Foundation
import Kernels
@testable import Llama
import ModelFiles

enum TestFiles {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")

    /// stories260K: the copy committed with the package, else ../shared.
    static var stories260K: String? {
        [packageRoot.appendingPathComponent("Tests/Fixtures/stories260K/stories260K.gguf").path,
         packageRoot.appendingPathComponent("../shared/models/stories260K/stories260K.gguf").path]
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// SmolLM2-135M-Instruct Q4_1 (not committed: 98 MB): models/ in the package root, where
    /// `make models` puts it, else the read-only ../shared cache (the rule every test target repeats).
    static let smolLM2: String? = [
        packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path,
        packageRoot.appendingPathComponent("../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").standardized.path,
    ].first { FileManager.default.fileExists(atPath: $0) }
    static let smolLM2Missing = "SmolLM2 GGUF not found in models/ or ../shared/models/smollm2-135m-instruct (run `make models`)"

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

/// One case of stories260K-logits.json.
struct StoriesCase: Decodable {
    let name: String
    let tokens: [Int32]
    let logit_positions: [Int]
    let logits: [[Float]]
    let hidden_last: [Float]
    let lora_scale: Float?
    let embedding_position: Int?
    let embedding: [Float]?
    let llama_cpp_logits: [[Float]]?

    var items: [InputItem] {
        tokens.enumerated().map { i, t in
            if i == embedding_position, let embedding { return .embedding(embedding) }
            return .token(t)
        }
    }
}

struct StoriesFixture: Decodable {
    let cases: [StoriesCase]
    static func load() throws -> StoriesFixture {
        try JSONDecoder().decode(StoriesFixture.self,
                                 from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("stories260K-logits.json"))))
    }
    func named(_ n: String) -> StoriesCase? { cases.first { $0.name == n } }
}

/// Loaded once per process: tests share one immutable model.
enum SharedModels {
    static let stories: LlamaModel? = TestFiles.stories260K.flatMap { try? LlamaModel(path: $0) }
}

func maxAbsDiff(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
}

func relativeL2(_ a: some Collection<Float>, _ reference: some Collection<Float>) -> Float {
    var num: Double = 0, den: Double = 0
    for (x, r) in zip(a, reference) {
        num += Double(x - r) * Double(x - r)
        den += Double(r) * Double(r)
    }
    return Float((num / max(den, 1e-30)).squareRoot())
}

/// Indices of the k largest values, largest first.
func topK(_ v: some Collection<Float>, _ k: Int) -> [Int] {
    Array(v.enumerated().sorted { $0.element > $1.element }.prefix(k).map(\.offset))
}

/// A single-threaded pool for tests that compare bitwise.
let testPool = ThreadPool(threadCount: 2)
