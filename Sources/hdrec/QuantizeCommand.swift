// `hdrec quantize IN OUT --type T`: rewrites a GGUF model with its 2-D weight
// matrices converted to T (1-D norms stay F32; see ModelFiles.GGUFQuantizer and
// docs/model-files.md for the rule). The output is written atomically.
import ArgumentParser
import ModelFiles
import Quant

struct QuantizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Re-quantize a GGUF model's weight matrices (q8_0, q4_0, q4_1, f16, f32).")

    @Argument(help: "Input GGUF file.") var input: String
    @Argument(help: "Output GGUF file (written atomically).") var output: String
    @Option(name: .long, help: "Target type: q8_0, q4_0, q4_1, f16 or f32.") var type: String

    func validate() throws {
        guard let t = GGMLType(name: type), [.q8_0, .q4_0, .q4_1, .f16, .f32].contains(t) else {
            throw ValidationError("--type must be one of q8_0, q4_0, q4_1, f16, f32 (got \(type))")
        }
    }

    func run() async throws {
        guard let target = GGMLType(name: type) else { throw ValidationError("unknown type \(type)") }
        try GGUFQuantizer.quantize(input: input, output: output, to: target)
        let summary = try ModelInspection.inspect(path: output).tensorTypeCounts
        print("wrote \(output): " + summary.keys.sorted().map { "\(summary[$0] ?? 0) \($0)" }.joined(separator: ", "))
    }
}
