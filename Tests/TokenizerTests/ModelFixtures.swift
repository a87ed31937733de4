// Where the real vocabularies are: the llama-spm vocabulary and stories260K are
// committed fixtures; SmolLM2 (98 MB, not committed) is found by the lookup rule
// every test target repeats (test targets cannot share code): models/ in the
// package root, where `make models` puts it, then the read-only ../shared cache.
// Without either its tests are skipped with a reason. Each tokenizer is built once
// per test process (static lets are lazy and thread-safe).
import Foundation
import Testing
import Tokenizer

enum ModelFixtures {
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixturesDir = testsDir.appendingPathComponent("Fixtures")
    static let packageRoot = testsDir.deletingLastPathComponent().deletingLastPathComponent()

    static let llamaSPMPath = fixturesDir.appendingPathComponent("llama-spm/ggml-vocab-llama-spm.gguf").path
    static let storiesPath = packageRoot.appendingPathComponent("Tests/Fixtures/stories260K/stories260K.gguf").path
    /// SmolLM2-135M-Instruct Q4_1: models/ (make models), else ../shared/models; nil when neither has it.
    static let smolLM2Path: String? = [
        packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path,
        packageRoot.appendingPathComponent("../shared/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf").standardized.path,
    ].first { FileManager.default.fileExists(atPath: $0) }
    static let smolLM2Missing = "SmolLM2 GGUF not found in models/ or ../shared/models/smollm2-135m-instruct (run `make models`)"

    /// llama.cpp's vocabulary files fetched by `make vocab-models` (not committed):
    /// models/vocab/ggml-vocab-<name>.gguf with .inp/.out; nil when absent.
    static func vocabPath(_ name: String) -> String? {
        let path = packageRoot.appendingPathComponent("models/vocab/ggml-vocab-\(name).gguf").path
        let all = [path, path + ".inp", path + ".out"].allSatisfy { FileManager.default.fileExists(atPath: $0) }
        return all ? path : nil
    }
    static let vocabFilesPresent = ["llama-bpe", "qwen2"].allSatisfy { vocabPath($0) != nil }
    static let vocabMissing: Comment = "models/vocab/ggml-vocab-{llama-bpe,qwen2}.gguf(.inp/.out) not found (run `make vocab-models`)"

    static let llamaSPM = Result { try Tokenizer(ggufPath: llamaSPMPath) }
    static let stories = Result { try Tokenizer(ggufPath: storiesPath) }
    static let smolLM2 = Result { () throws -> Tokenizer in
        guard let path = smolLM2Path else { throw CocoaError(.fileNoSuchFile) }
        return try Tokenizer(ggufPath: path)
    }

    /// Hex string -> bytes (golden inputs are stored as hex to keep invalid UTF-8).
    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            out.append(UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) ?? 0)
            chars = chars.dropFirst(2)
        }
        return out
    }
}
