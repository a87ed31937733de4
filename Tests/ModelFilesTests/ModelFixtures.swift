// Paths of the model files tests use: the committed stories260K fixture, and the
// read-only ../shared models (tests that need those skip when they are absent).
import Foundation

enum ModelFixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let stories260K = packageRoot.appendingPathComponent("Tests/Fixtures/stories260K/stories260K.gguf").path
    static let fixtures = packageRoot.appendingPathComponent("Tests/ModelFilesTests/Fixtures").path
    /// SmolLM2 from ../shared, else the copy `make models` puts in models/.
    static let smolLM2: String = {
        let shared = packageRoot
            .appendingPathComponent("../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").standardized.path
        let local = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        return FileManager.default.fileExists(atPath: shared) ? shared : local
    }()
    static let llamaSPMVocab = packageRoot
        .appendingPathComponent("../shared/models/llama-spm-vocab/ggml-vocab-llama-spm.gguf").standardized.path

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// Prints why a test is skipping and returns false when `path` is absent.
    static func available(_ path: String) -> Bool {
        if exists(path) { return true }
        print("skipping: \(path) is absent (read-only ../shared models are not part of the package)")
        return false
    }
}
