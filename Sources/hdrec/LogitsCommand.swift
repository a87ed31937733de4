// `hdrec logits`: the float32 vocabulary logits of the last prompt position, written as
// a numpy .npy file (shape [V]), for comparison with other implementations.
import ArgumentParser
import Foundation
import Llama
import Support

struct LogitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the last-position logits of a prompt as a .npy file.")

    @OptionGroup var decoder: DecoderOptions

    @Option(help: "Output .npy path.")
    var out: String

    func run() async throws {
        let (model, tokenizer, adapters, pool) = try decoder.load()
        let prompt = try decoder.promptTokens(tokenizer)
        guard !prompt.isEmpty else { throw ValidationError("the prompt is empty and the model adds no BOS") }
        let cache = KVCache(config: model.config, reserve: prompt.count)
        let result = try model.forward(.init(tokens: prompt), cache: cache, adapters: adapters, logits: .last, pool: pool)
        try AtomicFile.write(npyFloat32(Array(result.lastLogits)), to: out)
        print("wrote \(model.config.vocabSize) logits of position \(prompt.count - 1) (\(prompt.count) prompt tokens) to \(out)")
    }
}

/// A 1-D little-endian float32 array in numpy's .npy format v1.0: magic, version, a
/// header dict padded with spaces to a 64-byte boundary and ended by a newline, data.
func npyFloat32(_ values: [Float]) -> Data {
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(values.count),), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
    return data
}
