// The random Llama 3 and Qwen2 decoders of Tools/make_arch_fixtures.py, rebuilt here bit for
// bit from the recipe in Fixtures/arch-random.json over llama.cpp's vocabulary files
// (models/vocab/, fetched by `make vocab-models`, not committed: their licences), in memory.
// Element i of a tensor: SplitMix64 seeded with the tensor's seed, u = (next() >> 40) / 2^24,
// value = Float(offset + scale · (2u − 1)) computed in Double, exactly as the script does.
import Foundation
import ModelFiles
import Testing

struct ArchMetadata: Decodable {
    let key: String
    let value: GGUFValue

    init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        key = try c.decode(String.self)
        switch try c.decode(String.self) {
        case "u32": value = .uint32(try c.decode(UInt32.self))
        case "f32": value = .float32(try c.decode(Float.self))
        default: value = .string(try c.decode(String.self))
        }
    }
}

struct ArchTensor: Decodable {
    let name: String
    /// numpy order [rows, cols] (ggml ne reversed)
    let shape: [Int]
    let seed: String
    let offset: Double
    let scale: Double
    /// float64 sum of the values the script wrote
    let sum: Double

    func values() -> [Float] {
        var state = UInt64(seed) ?? 0
        let count = shape.reduce(1, *)
        return (0 ..< count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let u = Double(z >> 40) / 16_777_216
            return Float(offset + scale * (2 * u - 1))
        }
    }
}

struct ArchCase: Decodable {
    let text: String
    let tokens: [Int32]
    /// [position][probe]
    let llama_cpp_probe_logits: [[Float]]
    let llama_cpp_top_ids: [Int]
    let llama_cpp_top_logits: [Float]
    let control_probe_logits: [[Float]]
}

struct ArchModel: Decodable {
    let vocabulary: String
    let probe_ids: [Int]
    let control: String
    let metadata: [ArchMetadata]
    let tensors: [ArchTensor]
    let cases: [ArchCase]
}

struct ArchFixture: Decodable {
    let models: [String: ArchModel]

    static let shared = Result {
        try JSONDecoder().decode(ArchFixture.self, from: Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("arch-random.json"))))
    }

    static func vocabularyPath(_ file: String) -> String {
        TestFiles.packageRoot.appendingPathComponent("models/vocab/\(file)").path
    }
    static let vocabulariesPresent = ["ggml-vocab-llama-bpe.gguf", "ggml-vocab-qwen2.gguf"]
        .allSatisfy { FileManager.default.fileExists(atPath: vocabularyPath($0)) }
    static let vocabulariesMissing: Comment =
        "models/vocab/ggml-vocab-{llama-bpe,qwen2}.gguf not found (run `make vocab-models`)"

    /// The random model `name` ("llama3", "qwen2"): the vocabulary's tokenizer keys, the
    /// recipe's metadata and tensors (F32), as a GGUF in memory; also the tensor sums seen.
    static func build(_ name: String) throws -> (file: GGUFFile, sums: [String: Double]) {
        let model = try #require(try shared.get().models[name])
        let vocab = try GGUFFile(path: vocabularyPath(model.vocabulary))
        var w = GGUFWriter(copying: vocab)
        for (key, _) in w.metadata where !key.hasPrefix("tokenizer.") { w.removeValue(forKey: key) }
        for m in model.metadata { w.setValue(m.value, forKey: m.key) }
        var sums: [String: Double] = [:]
        for t in model.tensors {
            let values = t.values()
            sums[t.name] = values.reduce(0) { $0 + Double($1) }
            try w.addTensor(name: t.name, floats: values, shape: t.shape.reversed(), as: .f32)
        }
        return (try GGUFFile(data: try w.serialized()), sums)
    }
}
