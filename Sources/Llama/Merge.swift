// Merging fixed LoRA adapters into the base: W' = W + Σ s · B A, stored as f32. For
// serving one adapter at full speed (no per-pass LoRA products); the unmerged path
// stays the reference and the merged one must match it within float tolerance.
// Merged matrices are f32, so quantized bases grow (SmolLM2: ~4x per merged matrix).
import Kernels
import Quant

extension LlamaModel {
    /// A model whose adapted matrices have the adapters folded in (f32); the others are
    /// shared with this model.
    public func merging(_ adapters: [ActiveAdapter], pool: ThreadPool = .shared) throws -> LlamaModel {
        for active in adapters where active.adapter.base != config {
            throw LlamaError.invalidArgument("LoRA adapter '\(active.adapter.name)' was loaded for a different base model")
        }
        var newLayers = layers
        var storage: [OwnedFloats] = []
        for l in 0 ..< layers.count {
            var matrices = layers[l].matrices
            for (ti, target) in LoRATarget.allCases.enumerated() {
                let site = LoRASite(layer: l, target: target)
                let pairs = adapters.compactMap { a in a.adapter.pairs[site].map { (pair: $0, scale: a.userScale * a.adapter.scale(rank: $0.rank)) } }
                guard !pairs.isEmpty else { continue }
                let base = layers[l][target]
                let owned = OwnedFloats(try base.dequantized())
                for (pair, scale) in pairs {
                    LoRAMath.merge(into: owned.buffer.baseAddress!, pair: pair, scale: scale, pool: pool)
                }
                matrices[ti] = try WeightMatrix(type: .f32, rows: base.rows, cols: base.cols, bytes: owned.bytes)
                storage.append(owned)
            }
            newLayers[l] = LayerWeights(attentionNorm: layers[l].attentionNorm, ffnNorm: layers[l].ffnNorm, matrices: matrices,
                                        biases: layers[l].biases)
        }
        return LlamaModel(base: self, layers: newLayers, storage: storage)
    }
}
