// llama.cpp's GGUF LoRA adapter format (src/llama-adapter.cpp, convert_lora_to_gguf.py):
//   metadata  general.type = "adapter", general.architecture = base arch ("llama"),
//             adapter.type = "lora", adapter.lora.alpha (f32)
//   tensors   <base tensor name>.lora_a  ne = [in, R]   (numpy [R, in], PEFT's A)
//             <base tensor name>.lora_b  ne = [R, out]  (numpy [out, R], PEFT's B,
//                                                        q/k rows RoPE-permuted)
// llama.cpp's scale is alpha / R with R = lora_b.ne[0]; rsLoRA (alpha/√R) is stored as
// alpha' = alpha·√R, which gives the same scale (what convert_lora_to_gguf.py should do).
// Unlike llama.cpp, which skips what it does not know, unknown tensors are rejected
// by name, and a missing alpha is an error rather than a silent scale of 1.
import ModelFiles
import Quant

extension LoRAAdapter {
    /// Reads a GGUF LoRA file, validating it against the base configuration.
    public convenience init(ggufPath path: String, name: String, base: LlamaConfig) throws {
        try self.init(gguf: try GGUFFile(path: path), path: path, name: name, base: base)
    }

    /// Reads a GGUF LoRA from an opened file (`path` is only used in messages).
    public convenience init(gguf: GGUFFile, path: String = "<memory>", name: String, base: LlamaConfig) throws {
        guard gguf.string("general.type") == "adapter" else {
            throw LlamaError.notAnAdapter(path: path, reason: "general.type is '\(gguf.string("general.type") ?? "absent")', not 'adapter'")
        }
        guard gguf.string("adapter.type") == "lora" else {
            throw LlamaError.notAnAdapter(path: path, reason: "adapter.type is '\(gguf.string("adapter.type") ?? "absent")', not 'lora'")
        }
        let arch = gguf.string("general.architecture") ?? ""
        guard arch == base.architecture.rawValue else {
            throw LlamaError.adapterArchitectureMismatch(expected: base.architecture.rawValue, found: arch)
        }
        if gguf.metadata["adapter.alora.invocation_tokens"] != nil {
            throw LlamaError.adapterUnsupported(feature: "activated LoRA (adapter.alora.invocation_tokens)")
        }
        guard let alpha = gguf.float("adapter.lora.alpha") else {
            throw LlamaError.adapterMissingMetadata(key: "adapter.lora.alpha")
        }

        var halves: [LoRASite: (a: GGUFTensorInfo?, b: GGUFTensorInfo?)] = [:]
        for info in gguf.tensors {
            let isA = info.name.hasSuffix(".lora_a"), isB = info.name.hasSuffix(".lora_b")
            guard isA || isB, let site = Self.site(ofGGUFTensor: String(info.name.dropLast(7))),
                  site.layer < base.layerCount else {
                throw LlamaError.adapterUnknownTensor(name: info.name)
            }
            var entry = halves[site] ?? (nil, nil)
            if isA { entry.a = info } else { entry.b = info }
            halves[site] = entry
        }
        var pairs: [LoRASite: LoRAPair] = [:]
        // Sorted, so that of several faults the same one is named every time.
        for (site, entry) in halves.sorted(by: { $0.key < $1.key }) {
            let stem = site.ggufTensorName
            guard let a = entry.a else { throw LlamaError.adapterMissingHalf(tensor: stem + ".lora_b", missing: stem + ".lora_a") }
            guard let b = entry.b else { throw LlamaError.adapterMissingHalf(tensor: stem + ".lora_a", missing: stem + ".lora_b") }
            let (rows, cols) = site.target.shape(in: base)
            // ggml ne order: a = [in, R], b = [R, out]. Messages use the same order.
            guard a.shape.count == 2, a.shape[0] == cols, a.shape[1] > 0 else {
                throw LlamaError.adapterShapeMismatch(tensor: a.name, expected: [cols, a.shape.last ?? 0], found: a.shape)
            }
            let rank = a.shape[1]
            guard b.shape == [rank, rows] else {
                throw LlamaError.adapterShapeMismatch(tensor: b.name, expected: [rank, rows], found: b.shape)
            }
            pairs[site] = try LoRAPair(a: try gguf.floats(of: a), b: try gguf.floats(of: b),
                                       rank: rank, inFeatures: cols, outFeatures: rows)
        }
        guard !pairs.isEmpty else { throw LlamaError.notAnAdapter(path: path, reason: "it holds no LoRA tensors") }
        try self.init(name: name, alpha: alpha, scaling: .standard, base: base, pairs: pairs)
    }

    /// Writes this adapter as a llama.cpp GGUF LoRA file (f32 tensors, atomically).
    public func writeGGUF(to path: String) throws {
        var w = GGUFWriter()
        w.setValue(.string(base.architecture.rawValue), forKey: "general.architecture")
        w.setValue(.string("adapter"), forKey: "general.type")
        w.setValue(.string(name), forKey: "general.name")
        w.setValue(.string("lora"), forKey: "adapter.type")
        w.setValue(.float32(try ggufAlpha()), forKey: "adapter.lora.alpha")
        for site in pairs.keys.sorted() {
            guard let pair = pairs[site] else { continue }
            let stem = site.ggufTensorName
            try w.addTensor(name: stem + ".lora_a", floats: pair.a, shape: [pair.inFeatures, pair.rank], as: .f32)
            try w.addTensor(name: stem + ".lora_b", floats: pair.b, shape: [pair.rank, pair.outFeatures], as: .f32)
        }
        try w.write(to: path)
    }

    /// The alpha that gives llama.cpp (scale = alpha / R) this adapter's scale.
    func ggufAlpha() throws -> Float {
        switch scaling {
        case .standard:
            return alpha
        case .rankStabilized:
            let ranks = Set(pairs.values.map(\.rank))
            guard ranks.count == 1, let r = ranks.first else {
                throw LlamaError.adapterUnsupported(feature: "rsLoRA with mixed ranks cannot be stored as one GGUF alpha")
            }
            return alpha * Float(r).squareRoot()
        }
    }

    /// Parses `blk.N.<stem>.weight` into a site.
    static func site(ofGGUFTensor name: String) -> LoRASite? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", parts[3] == "weight", let layer = Int(parts[1]), layer >= 0,
              let target = LoRATarget(ggufName: String(parts[2])) else { return nil }
        return LoRASite(layer: layer, target: target)
    }
}
