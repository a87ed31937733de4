// Models derived from a loaded one without copying its matrices: the first L blocks
// only (HDRec's cpu profile trains on the first L decoder layers, then the model's
// final output_norm: docs/training.md), and the same weights with some RMSNorm gains
// replaced (HDRec's `--train-norms`, shipped in heads.safetensors as `norms.*`:
// docs/bundle.md). Both share the memory-mapped GGUF, so they cost a few arrays.
//
//   truncated(layers: L):  x → block_0 … block_{L-1} → rmsnorm · output_norm → LM head
import Quant

extension LlamaModel {
    /// A model running only the first `count` decoder blocks, then `output_norm` and the
    /// LM head, sharing this model's weights. `count` must be in 1...`config.layerCount`;
    /// `count == config.layerCount` gives a model whose forward pass is bit-identical to this one's.
    /// KV caches and LoRA adapters must be made for the returned model's `config`.
    public func truncated(layers count: Int) throws -> LlamaModel {
        guard count >= 1, count <= layers.count else {
            throw LlamaError.layerCountOutOfRange(requested: count, available: layers.count)
        }
        return LlamaModel(base: self, layers: Array(layers.prefix(count)), storage: [])
    }

    /// The same model whose layer products use `activations` (`.int8`: 8-bit activations and
    /// integer kernels for prefill, see `ActivationPrecision`); every weight is shared.
    public func withActivations(_ activations: ActivationPrecision) -> LlamaModel {
        LlamaModel(base: self, layers: layers, storage: [], activations: activations)
    }

    /// The same model with every layer matrix that has an integer kernel unpacked once for
    /// it (`Int8PackedWeight`, ~1.6 bytes per weight: 23 MB for SmolLM2-135M's first 4
    /// layers, 170 MB for all 30), so 8-bit-activation products skip their per-product
    /// unpacking (5-7 % of a prefill). Only useful with `activations == .int8`.
    public func packingInt8Weights() -> LlamaModel {
        let packedLayers = layers.map { layer in
            var l = layer
            l.packed = layer.matrices.map { Int8PackedWeight($0) }
            return l
        }
        return LlamaModel(base: self, layers: packedLayers, storage: [])
    }

    /// The same model with its layer matrices decoded to f32 once (`DecodedWeight`, 4 bytes per
    /// weight), so f32-activation prefill products read them instead of decoding W on every
    /// call; results are bitwise the same. Layers are decoded in order while their matrices fit
    /// `budgetBytes` in all, so a large base keeps decoding per product past the budget.
    /// SmolLM2-135M: 14 MB per layer (57 MB for the default bundle's 4 layers). A model with
    /// nothing to decode (f32 weights, or no layer within the budget) is returned as it is.
    public func decodingWeights(budgetBytes: Int) -> LlamaModel {
        var left = budgetBytes, any = false
        let decodedLayers = layers.map { layer in
            let bytes = layer.matrices.reduce(0) { $0 + DecodedWeight.bytes(for: $1) }
            guard bytes > 0, bytes <= left else { return layer }
            left -= bytes
            any = true
            var l = layer
            l.decoded = layer.matrices.map { DecodedWeight($0) }
            return l
        }
        return any ? LlamaModel(base: self, layers: decodedLayers, storage: []) : self
    }

    /// Bytes held by decoded matrices (`decodingWeights`).
    public var decodedWeightBytes: Int {
        layers.reduce(0) { sum, layer in sum + layer.decoded.reduce(0) { $0 + ($1?.byteCount ?? 0) } }
    }

    /// A model with the given RMSNorm weights in place of the GGUF's, by GGUF tensor name
    /// (`blk.N.attn_norm.weight`, `blk.N.ffn_norm.weight` for N < `config.layerCount`,
    /// `output_norm.weight`); every other weight is shared. Each vector must hold C finite values.
    public func replacingNorms(_ norms: [String: [Float]]) throws -> LlamaModel {
        let c = config.width
        var newLayers = layers
        var output: [Float]? = nil
        for name in norms.keys.sorted() {
            let values = norms[name] ?? []
            guard values.count == c else { throw LlamaError.tensorShapeMismatch(name: name, expected: [c], found: [values.count]) }
            if let bad = values.firstIndex(where: { !$0.isFinite }) { throw LlamaError.nonFiniteWeight(tensor: name, index: bad) }
            if name == LlamaTensorName.outputNorm {
                output = values
                continue
            }
            guard let site = Self.layerNorm(name), site.layer < newLayers.count else {
                throw LlamaError.notANormTensor(name: name, layerCount: newLayers.count)
            }
            let layer = site.layer, isAttention = site.attention
            let old = newLayers[layer]
            newLayers[layer] = LayerWeights(attentionNorm: isAttention ? values : old.attentionNorm,
                                            ffnNorm: isAttention ? old.ffnNorm : values, matrices: old.matrices,
                                            biases: old.biases, packed: old.packed, decoded: old.decoded)
        }
        return LlamaModel(base: self, layers: newLayers, outputNorm: output, storage: [])
    }

    /// (layer, true for attn_norm / false for ffn_norm) of `blk.N.attn_norm.weight` / `blk.N.ffn_norm.weight`.
    private static func layerNorm(_ name: String) -> (layer: Int, attention: Bool)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", parts[3] == "weight", let layer = Int(parts[1]), layer >= 0,
              String(layer) == parts[1] else { return nil }
        switch parts[2] {
        case "attn_norm": return (layer, true)
        case "ffn_norm": return (layer, false)
        default: return nil
        }
    }
}
