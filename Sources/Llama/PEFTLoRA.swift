// Hugging Face PEFT LoRA directories (huggingface/peft: tuners/lora/config.py,
// layer.py, utils/save_and_load.py):
//   adapter_config.json        peft_type "LORA", r, lora_alpha, use_rslora, target_modules, ...
//   adapter_model.safetensors  base_model.model.model.layers.{i}.{self_attn|mlp}.{q..down}_proj.lora_A.weight [R, in]
//                              ... .lora_B.weight [out, R]   (Hugging Face row order)
// On read, lora_B of q_proj and k_proj is permuted into the GGUF row order (H heads for
// q, Hkv for k; see RoPEPermutation.swift); on write it is permuted back, so a PEFT
// directory written here loads in PEFT/transformers on the original HF model.
// Variants this decoder does not implement (DoRA, biases, fan_in_fan_out, full
// modules_to_save, per-module alphas, embedding or lm_head LoRA) are rejected, never
// ignored; adapter_config.json is validated in PEFTConfig.swift (targets, ranks).
import Foundation
import ModelFiles

extension LoRAAdapter {
    static let peftConfigName = "adapter_config.json"
    static let peftWeightsName = "adapter_model.safetensors"

    /// Reads a PEFT adapter directory, validating it against the base configuration.
    public convenience init(peftDirectory directory: String, name: String, base: LlamaConfig) throws {
        let configPath = (directory as NSString).appendingPathComponent(Self.peftConfigName)
        let weightsPath = (directory as NSString).appendingPathComponent(Self.peftWeightsName)
        // The files are read and typed by ModelFiles; their errors are reported as this
        // adapter's, each against the file at fault (a bad safetensors is not the config's).
        let files: PEFTAdapterDirectory
        do { files = try PEFTAdapterDirectory(path: directory) } catch let error as ModelFilesError {
            switch error {
            case let .inFile(path, inner):
                throw LlamaError.adapterFileInvalid(path: path, reason: inner.description)
            case .cannotOpen, .cannotMap:
                throw LlamaError.adapterFileInvalid(path: directory, reason: error.description)
            case let .missingFile(path) where path.hasSuffix(Self.peftWeightsName):
                throw LlamaError.notAnAdapter(path: directory, reason: "\(Self.peftWeightsName) is missing (pickled .bin adapters are not read)")
            case .missingFile:
                throw LlamaError.notAnAdapter(path: directory, reason: "\(Self.peftConfigName) is missing")
            case let .missingField(_, field) where field != "peft_type":
                throw LlamaError.adapterMissingMetadata(key: field)
            default:
                throw LlamaError.notAnAdapter(path: configPath, reason: error.description)
            }
        }
        let peft = try PEFTConfig(files.config, path: configPath, base: base)

        let file = files.weights
        var halves: [LoRASite: (a: SafetensorsTensorInfo?, b: SafetensorsTensorInfo?)] = [:]
        for tensorName in file.tensorNames.sorted() {
            guard let (site, isA) = Self.site(ofPEFTKey: tensorName), site.layer < base.layerCount,
                  let info = file.tensor(named: tensorName) else {
                throw LlamaError.adapterUnknownTensor(name: tensorName)
            }
            guard peft.selected.contains(site) else { throw LlamaError.adapterTensorNotTargeted(tensor: tensorName) }
            var entry = halves[site] ?? (nil, nil)
            if isA { entry.a = info } else { entry.b = info }
            halves[site] = entry
        }
        var pairs: [LoRASite: LoRAPair] = [:]
        // Sorted, so that of several faults the same one is named every time.
        for (site, entry) in halves.sorted(by: { $0.key < $1.key }) {
            let prefix = site.peftPrefix
            guard let a = entry.a else { throw LlamaError.adapterMissingHalf(tensor: prefix + ".lora_B.weight", missing: prefix + ".lora_A.weight") }
            guard let b = entry.b else { throw LlamaError.adapterMissingHalf(tensor: prefix + ".lora_A.weight", missing: prefix + ".lora_B.weight") }
            let (rows, cols) = site.target.shape(in: base)
            guard a.shape.count == 2, a.shape[1] == cols, a.shape[0] > 0 else {
                throw LlamaError.adapterShapeMismatch(tensor: a.name, expected: [a.shape.first ?? 0, cols], found: a.shape)
            }
            let rank = a.shape[0]
            let declared = try peft.declaredRank(of: site)
            guard rank == declared else { throw LlamaError.adapterRankMismatch(tensor: a.name, declared: declared, found: rank) }
            guard b.shape == [rows, rank] else {
                throw LlamaError.adapterShapeMismatch(tensor: b.name, expected: [rows, rank], found: b.shape)
            }
            var bValues = try Self.floats(of: b, in: file, path: weightsPath)
            if let heads = RoPEPermutation.heads(for: site.target, config: base) {
                bValues = RoPEPermutation.toGGUF(bValues, rows: rows, cols: rank, heads: heads)
            }
            pairs[site] = try LoRAPair(a: try Self.floats(of: a, in: file, path: weightsPath), b: bValues, rank: rank, inFeatures: cols, outFeatures: rows)
        }
        guard !pairs.isEmpty else { throw LlamaError.notAnAdapter(path: weightsPath, reason: "it holds no LoRA tensors") }
        try self.init(name: name, alpha: peft.alpha, scaling: peft.rankStabilized ? .rankStabilized : .standard,
                      base: base, pairs: pairs)
    }

    /// Writes this adapter as a PEFT directory (created if needed; each file atomically,
    /// through ModelFiles' PEFTAdapterDirectory).
    public func writePEFT(to directory: String, baseModelName: String? = nil) throws {
        var writer = SafetensorsWriter()
        for (site, pair) in pairs {
            var b = pair.b
            if let heads = RoPEPermutation.heads(for: site.target, config: base) {
                b = RoPEPermutation.toHF(b, rows: pair.outFeatures, cols: pair.rank, heads: heads)
            }
            try writer.add(name: site.peftPrefix + ".lora_A.weight", floats: pair.a, shape: [pair.rank, pair.inFeatures])
            try writer.add(name: site.peftPrefix + ".lora_B.weight", floats: b, shape: [pair.outFeatures, pair.rank])
        }
        var config = PEFTAdapterConfig(r: rank, loraAlpha: Double(alpha), targetModules: targets.map(\.peftModule),
                                       baseModelNameOrPath: baseModelName, useRslora: scaling == .rankStabilized)
        for (site, pair) in pairs where pair.rank != rank { config.rankPattern[PEFTConfig.moduleName(site)] = pair.rank }
        // An adapter on some layers only (HDRec's LoRA on the top layers): without
        // `layers_to_transform`, PEFT would put fresh (B = 0) adapters on every other layer too.
        let layers = Set(pairs.keys.map(\.layer)).sorted()
        if layers.count < base.layerCount {
            config.otherFields["layers_to_transform"] = "[" + layers.map(String.init).joined(separator: ", ") + "]"
        }
        try PEFTAdapterDirectory.write(config: config, weights: writer, to: directory)
    }

    /// A tensor's values as f32; a dtype that has none is the weights file's fault.
    private static func floats(of info: SafetensorsTensorInfo, in file: SafetensorsFile, path: String) throws -> [Float] {
        do { return try file.floats(of: info) } catch let error as ModelFilesError {
            throw LlamaError.adapterFileInvalid(path: path, reason: error.description)
        }
    }

    /// Parses `base_model.model.model.layers.{i}.{parent}.{module}.lora_{A|B}.weight`
    /// into (site, isA); nil for anything else (embedding LoRA, lm_head, DoRA magnitudes, ...).
    static func site(ofPEFTKey key: String) -> (LoRASite, Bool)? {
        let p = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard p.count == 9, p[0] == "base_model", p[1] == "model", p[2] == "model", p[3] == "layers",
              let layer = Int(p[4]), layer >= 0, let target = LoRATarget(peftModule: p[6]),
              p[5] == target.peftParent, p[8] == "weight", p[7] == "lora_A" || p[7] == "lora_B" else { return nil }
        return (LoRASite(layer: layer, target: target), p[7] == "lora_A")
    }
}

extension LlamaError {
    /// Which file of a PEFT directory a LoRA error that names no path is about, so a
    /// caller that knows the directory can name the file (nil: the error names its path,
    /// or is not an adapter error).
    public var peftFileName: String? {
        switch self {
        case .adapterUnknownTensor, .adapterTensorNotTargeted, .adapterRankMismatch, .adapterMissingHalf,
             .adapterShapeMismatch, .adapterNonFinite:
            return LoRAAdapter.peftWeightsName
        case .adapterMissingMetadata, .adapterUnknownTarget, .adapterUnsupported:
            return LoRAAdapter.peftConfigName
        default:
            return nil
        }
    }
}
