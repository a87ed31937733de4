// `hdrec inspect FILE`: prints a JSON report of a GGUF model, a safetensors file
// or a PEFT adapter directory (architecture, hyper-parameters, each tensor's type
// and shape, tokenizer kind and size). The work is in ModelFiles.ModelInspection.
import ArgumentParser
import ModelFiles

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a JSON report of a GGUF file, a safetensors file or a PEFT adapter directory.")

    @Argument(help: "A .gguf file, a .safetensors file, or an adapter directory (adapter_config.json + adapter_model.safetensors).")
    var file: String

    func run() async throws {
        print(try ModelInspection.inspect(path: file).json)
    }
}
