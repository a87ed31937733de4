// What `hdrec inspect` reports about a model file: for a GGUF its architecture,
// hyper-parameters (the `<arch>.*` keys), every tensor's type and shape, and the
// tokenizer kind and size; for a safetensors file its tensors and metadata; for a
// PEFT adapter directory its config and tensors. The same value is used by tests
// (tensor counts per type), so the command stays a thin printer.
import Foundation
import JSON
import Quant

public struct ModelInspection: Sendable {
    public enum Format: String, Sendable { case gguf, safetensors, peftAdapter = "peft-adapter" }

    public struct Tensor: Sendable, Equatable {
        public let name: String
        /// ggml type name for GGUF ("q4_1"), dtype for safetensors ("F32").
        public let type: String
        /// GGUF: ne order (shape[0] contiguous); safetensors: row-major, outermost first.
        public let shape: [Int]
    }

    public let path: String
    public let format: Format
    public let architecture: String?
    public let tensors: [Tensor]
    /// `tokenizer.ggml.model` / `.pre` and the vocabulary size (GGUF only).
    public let tokenizerModel: String?
    public let tokenizerPre: String?
    public let vocabularySize: Int?
    let report: JSONValue

    /// Number of tensors of each type name.
    public var tensorTypeCounts: [String: Int] {
        tensors.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }

    /// The report as pretty-printed JSON.
    public var json: String { report.serialized(.pretty) }

    /// Inspects a GGUF file, a safetensors file or a PEFT adapter directory.
    public static func inspect(path: String) throws -> ModelInspection {
        if PEFTAdapterDirectory.isAdapterDirectory(path) { return try inspect(adapter: PEFTAdapterDirectory(path: path)) }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFilesError.cannotOpen(path: path, errno: errno) }
        var magic: UInt32 = 0
        let n = read(fd, &magic, 4)
        close(fd)
        if n == 4, UInt32(littleEndian: magic) == GGUFParser.magic { return inspect(gguf: try GGUFFile(path: path), path: path) }
        return inspect(safetensors: try SafetensorsFile(path: path), path: path)
    }

    public static func inspect(gguf f: GGUFFile, path: String) -> ModelInspection {
        let arch = f.architecture
        let tensors = f.tensors.map { Tensor(name: $0.name, type: $0.type.description, shape: $0.shape) }
        var hyper: [(String, JSONValue)] = []
        var general: [(String, JSONValue)] = []
        for (k, v) in f.orderedMetadata {
            if case .array = v { continue }
            if let arch, k.hasPrefix(arch + ".") {
                hyper.append((String(k.dropFirst(arch.count + 1)), json(v)))
            } else if k.hasPrefix("general.") {
                general.append((String(k.dropFirst(8)), json(v)))
            }
        }
        let vocab = f.strings("tokenizer.ggml.tokens")?.count
        var tok: [(String, JSONValue)] = [
            ("model", f.string("tokenizer.ggml.model").map(JSONValue.string) ?? .null),
            ("pre", f.string("tokenizer.ggml.pre").map(JSONValue.string) ?? .null),
            ("size", vocab.map(JSONValue.int) ?? .null),
        ]
        if let merges = f.strings("tokenizer.ggml.merges") { tok.append(("merges", .int(merges.count))) }
        for (k, v) in f.orderedMetadata where k.hasPrefix("tokenizer.ggml.") {
            if case .array = v { continue }
            let short = String(k.dropFirst("tokenizer.ggml.".count))
            if short != "model" && short != "pre" { tok.append((short, json(v))) }
        }
        let counts = tensors.reduce(into: [String: Int]()) { $0[$1.type, default: 0] += 1 }
        // Types that parse but that the decoder cannot compute with (it refuses them at load).
        let undecodable = Set(f.tensors.map(\.type).filter { !$0.isDecodable }).map(\.description).sorted()
        let report = JSONValue.object([
            ("format", .string("gguf")),
            ("path", .string(path)),
            ("version", .int(Int(f.version))),
            ("architecture", arch.map(JSONValue.string) ?? .null),
            ("file_type", f.uint("general.file_type").flatMap { LlamaFileType.name(UInt64($0)) }.map(JSONValue.string) ?? .null),
            ("types_not_supported", .array(undecodable.map(JSONValue.string))),
            ("general", .object(general)),
            ("hyperparameters", .object(hyper)),
            ("tokenizer", .object(tok)),
            ("tensor_count", .int(tensors.count)),
            ("tensor_types", .object(counts.keys.sorted().map { ($0, .int(counts[$0] ?? 0)) })),
            ("parameters", .int(f.tensors.reduce(0) { $0 + $1.elementCount })),
            ("tensors", .array(tensors.map { .object([("name", .string($0.name)), ("type", .string($0.type)), ("shape", .ints($0.shape))]) })),
        ])
        return ModelInspection(path: path, format: .gguf, architecture: arch, tensors: tensors,
                               tokenizerModel: f.string("tokenizer.ggml.model"), tokenizerPre: f.string("tokenizer.ggml.pre"),
                               vocabularySize: vocab, report: report)
    }

    public static func inspect(safetensors f: SafetensorsFile, path: String) -> ModelInspection {
        let tensors = f.tensors.map { Tensor(name: $0.name, type: $0.dtype.rawValue, shape: $0.shape) }
        let report = JSONValue.object([
            ("format", .string("safetensors")),
            ("path", .string(path)),
            ("metadata", .object(f.metadata.keys.sorted().map { ($0, .string(f.metadata[$0] ?? "")) })),
            ("tensor_count", .int(tensors.count)),
            ("tensors", tensorList(tensors)),
        ])
        return ModelInspection(path: path, format: .safetensors, architecture: nil, tensors: tensors,
                               tokenizerModel: nil, tokenizerPre: nil, vocabularySize: nil, report: report)
    }

    public static func inspect(adapter a: PEFTAdapterDirectory) -> ModelInspection {
        let tensors = a.weights.tensors.map { Tensor(name: $0.name, type: $0.dtype.rawValue, shape: $0.shape) }
        let c = a.config
        let report = JSONValue.object([
            ("format", .string("peft-adapter")),
            ("path", .string(a.path)),
            ("peft_type", .string(c.peftType)),
            ("base_model_name_or_path", c.baseModelNameOrPath.map(JSONValue.string) ?? .null),
            ("r", .int(c.r)),
            ("lora_alpha", .double(c.loraAlpha)),
            ("use_rslora", .bool(c.useRslora)),
            ("scaling", .double(c.scaling)),
            ("target_modules", c.targetModulesRegex.map(JSONValue.string) ?? .array(c.targetModules.map(JSONValue.string))),
            ("tensor_count", .int(tensors.count)),
            ("tensors", tensorList(tensors)),
        ])
        return ModelInspection(path: a.path, format: .peftAdapter, architecture: nil, tensors: tensors,
                               tokenizerModel: nil, tokenizerPre: nil, vocabularySize: nil, report: report)
    }

    private static func tensorList(_ t: [Tensor]) -> JSONValue {
        .array(t.map { .object([("name", .string($0.name)), ("dtype", .string($0.type)), ("shape", .ints($0.shape))]) })
    }

    private static func json(_ v: GGUFValue) -> JSONValue {
        switch v {
        case let .string(s): return .string(s)
        case let .bool(b): return .bool(b)
        case let .float32(f): return .float(f)
        case let .float64(d): return .double(d)
        case let .uint64(u): return .number(JSONNumber(u))
        case let .array(_, values): return .array(values.map(json))
        default: return v.intValue.map(JSONValue.int) ?? .null
        }
    }
}

/// The report's numbers: integers as written, floats in Swift's shortest round-trip form
/// (a non-finite one, which JSON cannot hold, as a string such as "nan").
private extension JSONValue {
    static func int(_ i: Int) -> JSONValue { .number(JSONNumber(i)) }
    static func ints(_ a: [Int]) -> JSONValue { .array(a.map(JSONValue.int)) }
    static func float(_ f: Float) -> JSONValue { JSONNumber(shortest: f).map(JSONValue.number) ?? .string("\(f)") }
    static func double(_ d: Double) -> JSONValue { JSONNumber(shortest: d).map(JSONValue.number) ?? .string("\(d)") }
}
