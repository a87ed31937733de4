// Reads llama.cpp's tokenizer test vectors (tests/test-tokenizer-0.cpp): `<vocab>.gguf.inp`
// holds the inputs separated by "\n__ggml_vocab_test__\n" (bytes, kept raw), `.gguf.out` one
// line of space-separated ids per input, trimmed as that test trims them. llama.cpp
// tokenizes them with add_special=false, parse_special=false.
import Foundation

enum VocabVectors {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The (input bytes, expected ids) cases of `<gguf>.inp` / `<gguf>.out`.
    static func load(gguf path: String) throws -> [(input: [UInt8], ids: [Int32])] {
        let raw = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".inp")))
        let out = try String(contentsOf: URL(fileURLWithPath: path + ".out"), encoding: .utf8)
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var inputs: [[UInt8]] = []
        var start = 0
        var i = 0
        while i + separator.count <= raw.count {
            if raw[i..<(i + separator.count)].elementsEqual(separator) {
                inputs.append(Array(raw[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        if start < raw.count { inputs.append(Array(raw[start...])) }
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let ids = try lines.map { line in
            try line.split(separator: " ").map { field -> Int32 in
                guard let v = Int32(field) else { throw Failure(description: "\(path).out: '\(field)' is not an id") }
                return v
            }
        }
        guard inputs.count == ids.count else {
            throw Failure(description: "\(path): \(inputs.count) inputs but \(ids.count) output lines")
        }
        return Array(zip(inputs, ids))
    }
}
