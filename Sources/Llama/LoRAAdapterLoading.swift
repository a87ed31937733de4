// Opening an adapter by path: a directory is a PEFT adapter (adapter_config.json +
// adapter_model.safetensors), a file is a llama.cpp GGUF LoRA.
import Foundation

extension LoRAAdapter {
    /// Loads the adapter at `path` (PEFT directory or GGUF file) for a base with `base`.
    public static func load(path: String, name: String, base: LlamaConfig) throws -> LoRAAdapter {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LlamaError.adapterNotFound(path: path)
        }
        if isDirectory.boolValue {
            return try LoRAAdapter(peftDirectory: path, name: name, base: base)
        }
        return try LoRAAdapter(ggufPath: path, name: name, base: base)
    }
}
