// Paths of the model files tests use: the committed stories260K and llama-spm vocabulary
// fixtures, and SmolLM2 (not committed: 98 MB) by the lookup rule every test target
// repeats: models/ in the package root (`make models`), then the read-only ../shared
// cache. Tests that need SmolLM2 skip, saying why, when neither has it.
import Foundation

enum ModelFixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let stories260K = packageRoot.appendingPathComponent("Tests/Fixtures/stories260K/stories260K.gguf").path
    static let fixtures = packageRoot.appendingPathComponent("Tests/ModelFilesTests/Fixtures").path
    /// SmolLM2 from models/ (make models), else ../shared; the models/ path when neither has it.
    static let smolLM2: String = {
        let local = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        let shared = packageRoot
            .appendingPathComponent("../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").standardized.path
        return FileManager.default.fileExists(atPath: local) || !FileManager.default.fileExists(atPath: shared) ? local : shared
    }()
    /// The vocab-only Llama SPM GGUF committed with the tokenizer tests.
    static let llamaSPMVocab = packageRoot
        .appendingPathComponent("Tests/TokenizerTests/Fixtures/llama-spm/ggml-vocab-llama-spm.gguf").path

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Why the tests that need SmolLM2 are skipped when it is absent.
    static let smolLM2Missing = "\(smolLM2) is absent (run `make models` to fetch SmolLM2 into models/)"
}
