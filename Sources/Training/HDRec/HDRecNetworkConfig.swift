// The sizes and hyper-parameters of the trainable HDRec network (paper §3;
// docs/public-code.md §3): two LoRA adapters over the first `layers`
// decoder layers, the ID projector, the shared IPL and the added-token rows.
import Llama

/// The item projection layer's form.
public enum IPLKind: String, Sendable, Codable, CaseIterable {
    /// The paper's Linear(C → H) → SiLU → Linear(H → I).
    case mlp
    /// z = (h·Wpᵀ + bp)·Eᵀ + b over a frozen item table E = [SASRec rows | item-text embeddings].
    case factorized
}

public struct HDRecNetworkConfig: Sendable, Equatable, Codable {
    /// Decoder layers used (the first L; then the base's final norm).
    public var layers: Int
    public var loraRank: Int = 8
    public var loraAlpha: Double = 32
    public var loraDropout: Double = 0.3
    /// LoRA targets by name: q, k, v, o, gate, up, down (paper/public code: all but gate).
    public var loraTargets: [String] = ["q", "k", "v", "o", "up", "down"]
    public var sasrecWidth: Int = 128
    public var projectorHidden: Int
    public var iplHidden: Int
    public var iplDropout: Double = 0.5
    /// Train the RMSNorm gains too (the public code does; the paper freezes them).
    public var trainNorms: Bool = false
    /// The IPL's form: the paper's MLP (nil or `.mlp`) or the factorized head over the item table.
    public var iplKind: IPLKind? = nil
    /// The ID pass anchored at SASRec: z_id = s_u·E_sasᵀ + γ·IPL(h_id), γ trained from 0.
    public var idAnchor: Bool? = nil
    /// LoRA on the top N of the `layers` only (nil: all). The layers below are frozen for the
    /// text branch: its backward stops at the lowest adapted layer, and the `[SEQ]`/`[ALIGN]`
    /// rows are frozen at their initial value, so the text prompts' activations below the cut
    /// never change and can be computed once (`ActivationCache`).
    public var loraLayers: Int? = nil
    /// Start the projector as the ridge map from SASRec rows to the items' mean token
    /// embeddings (lever (b)); nil/false: PyTorch's Linear defaults.
    public var ridgeProjector: Bool? = nil
    /// Start the factorized head's SASRec block as a ridge probe of SASRec's state from the
    /// frozen read state (HeadInitializer.sasrecProbe); nil/false: zeros.
    public var sasrecProbe: Bool? = nil

    var factorized: Bool { iplKind == .factorized }
    var anchored: Bool { idAnchor == true }
    /// The lowest layer that carries LoRA.
    public var firstLoRALayer: Int { layers - max(0, min(layers, loraLayers ?? layers)) }
    /// Whether the layers below `firstLoRALayer` (and the added-token rows) are frozen.
    public var isCut: Bool { firstLoRALayer > 0 }

    public init(layers: Int, projectorHidden: Int, iplHidden: Int) {
        self.layers = layers; self.projectorHidden = projectorHidden; self.iplHidden = iplHidden
    }

    /// The Ops' target set.
    public func targetSet() throws -> LoRATargets {
        var set: LoRATargets = []
        for name in loraTargets {
            switch name {
            case "q": set.insert(.q)
            case "k": set.insert(.k)
            case "v": set.insert(.v)
            case "o": set.insert(.o)
            case "gate": set.insert(.gate)
            case "up": set.insert(.up)
            case "down": set.insert(.down)
            default: throw HDRecTrainingError.invalidConfiguration(field: "lora targets", reason: "unknown target '\(name)'")
            }
        }
        return set
    }

    func blockConfig(_ base: LlamaConfig, training: Bool, layer: Int? = nil) throws -> LlamaBlockConfig {
        let adapted = layer.map { $0 >= firstLoRALayer } ?? true
        return LlamaBlockConfig(dim: base.width, ffnDim: base.ffnWidth, heads: base.headCount, kvHeads: base.kvHeadCount,
                         headDim: base.headDim, rmsEps: Double(base.rmsEpsilon), ropeBase: Double(base.ropeFreqBase),
                         loraRank: loraRank, loraAlpha: loraAlpha, loraDropout: training ? loraDropout : 0,
                         targets: adapted ? try targetSet() : [])
    }
}

/// The Llama module's name for an Ops target.
func llamaTarget(_ t: LoRATargets) -> LoRATarget {
    switch t {
    case .q: return .q
    case .k: return .k
    case .v: return .v
    case .o: return .o
    case .gate: return .gate
    case .up: return .up
    default: return .down
    }
}

let targetOrder: [(LoRATargets, String)] = [(.q, "q"), (.k, "k"), (.v, "v"), (.o, "o"), (.gate, "gate"), (.up, "up"), (.down, "down")]
