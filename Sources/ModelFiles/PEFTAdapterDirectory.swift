// A PEFT LoRA adapter directory at the file level (peft src/peft/utils/constants.py):
//   adapter_config.json         -> PEFTAdapterConfig
//   adapter_model.safetensors   -> SafetensorsFile (tensor names like
//     base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight, A [r, in], B [out, r])
// The legacy pickle `adapter_model.bin` is never loaded (untrusted code); its
// presence without the safetensors file is reported as a missing file.
import Foundation
import Support

public struct PEFTAdapterDirectory: Sendable {
    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    public let path: String
    public let config: PEFTAdapterConfig
    public let weights: SafetensorsFile

    /// Reads and validates both files of the adapter directory at `path`.
    public init(path: String) throws {
        self.path = path
        let configPath = (path as NSString).appendingPathComponent(Self.configFileName)
        let weightsPath = (path as NSString).appendingPathComponent(Self.weightsFileName)
        guard FileManager.default.fileExists(atPath: configPath) else { throw ModelFilesError.missingFile(path: configPath) }
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw ModelFilesError.missingFile(path: weightsPath) }
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelFilesError.cannotOpen(path: configPath, errno: EACCES)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelFilesError.invalidUTF8(field: Self.configFileName, offset: 0)
        }
        config = try PEFTAdapterConfig(json: text)
        // The safetensors reader's errors give the byte offset but not the file: say which.
        do { weights = try SafetensorsFile(path: weightsPath) } catch let error as ModelFilesError {
            throw ModelFilesError.inFile(path: weightsPath, error: error)
        }
    }

    /// Whether `path` looks like an adapter directory (has adapter_config.json).
    public static func isAdapterDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            && FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(configFileName))
    }

    /// Writes `config` and `weights` into `directory` (created if needed), each file
    /// atomically. The weights get `__metadata__` {"format": "pt"} as PEFT writes it,
    /// unless the writer already sets a format.
    public static func write(config: PEFTAdapterConfig, weights: SafetensorsWriter, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var w = weights
        if w.metadata["format"] == nil { w.metadata["format"] = "pt" }
        try w.write(to: (directory as NSString).appendingPathComponent(weightsFileName))
        try AtomicFile.write(try config.jsonText(), to: (directory as NSString).appendingPathComponent(configFileName))
    }
}
