// The typed name of every trainable HDRec tensor, and the name it carries in checkpoints.
//
// Forward and backward ask HDRecParameters for a tensor by key (`.lora(.text, layer: 3, .q, .a)`,
// `.projector(.inWeight)`, `.ipl(.outWeight)`, `.token(.seq)` ...); the key's offset in the
// flat store is resolved once, when the parameters are laid out, so no hot path builds or
// compares strings.
//
// Names (`name`) are the served bundle's (docs/bundle.md): the heads' tensors use
// HeadsTensorName's names, and a LoRA tensor is `adapters/<branch>/` + the name it has in
// that branch's exported adapter_model.safetensors (PEFT's
// `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`). One difference from the
// exported file: a checkpoint keeps B in the GGUF row order it is trained in (Llama q and k
// rows permuted for adjacent-pair RoPE); export permutes it back (Sources/Llama/PEFTLoRA.swift).
import Llama
import HDRecInference

public enum HDRecParameterKey: Hashable, Sendable, CustomStringConvertible {
    /// A LoRA factor: A (R, in) or B (out, R).
    public enum LoRAPart: Hashable, Sendable { case a, b }
    /// The ID projector, Linear(128 → Hp) → SiLU → Linear(Hp → C).
    public enum Projector: Hashable, Sendable { case inWeight, inBias, outWeight, outBias }
    /// The IPL: the paper's MLP (inWeight, inBias, outWeight) or the factorized head
    /// (projection, projectionBias, itemBias).
    public enum IPL: Hashable, Sendable { case inWeight, inBias, outWeight, projection, projectionBias, itemBias }
    /// The trainable input rows of the added tokens.
    public enum AddedToken: Hashable, Sendable { case seq, align }
    /// A trained RMSNorm gain of the decoder.
    public enum Norm: Hashable, Sendable { case attention(layer: Int), ffn(layer: Int), output }

    case lora(AdapterRole, layer: Int, LoRATarget, LoRAPart)
    case projector(Projector)
    case ipl(IPL)
    /// γ of the SASRec-anchored ID pass.
    case idGate
    case token(AddedToken)
    case norm(Norm)

    /// The tensor's name in checkpoints: the bundle's name for it (see the top of this file).
    public var name: String {
        switch self {
        case let .lora(branch, layer, target, part):
            let site = LoRASite(layer: layer, target: target)
            return "adapters/\(branch.rawValue)/" + site.peftPrefix + (part == .a ? ".lora_A.weight" : ".lora_B.weight")
        case .projector(.inWeight): return HeadsTensorName.projectorIn
        case .projector(.inBias): return HeadsTensorName.projectorInBias
        case .projector(.outWeight): return HeadsTensorName.projectorOut
        case .projector(.outBias): return HeadsTensorName.projectorOutBias
        case .ipl(.inWeight): return HeadsTensorName.iplIn
        case .ipl(.inBias): return HeadsTensorName.iplInBias
        case .ipl(.outWeight): return HeadsTensorName.iplOut
        case .ipl(.projection): return HeadsTensorName.iplProjection
        case .ipl(.projectionBias): return HeadsTensorName.iplProjectionBias
        case .ipl(.itemBias): return HeadsTensorName.iplItemBias
        case .idGate: return HeadsTensorName.idGate
        case .token(.seq): return HeadsTensorName.seqToken
        case .token(.align): return HeadsTensorName.alignToken
        case let .norm(.attention(layer)): return HeadsTensorName.normPrefix + LlamaTensorName.attentionNorm(layer)
        case let .norm(.ffn(layer)): return HeadsTensorName.normPrefix + LlamaTensorName.ffnNorm(layer)
        case .norm(.output): return HeadsTensorName.normPrefix + LlamaTensorName.outputNorm
        }
    }

    public var description: String { name }
}
