// GGUF tensor names of a Llama or Qwen2 model (the same for both) and the LoRA target table, in one place (the
// analogue of llama.cpp's llama-arch.cpp LLM_TENSOR_NAMES for LLM_ARCH_LLAMA and of
// gguf-py's tensor_mapping for the Hugging Face / PEFT side). Nothing else in the
// module spells a tensor name.

/// Names of the tensors of a Llama GGUF file.
public enum LlamaTensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    /// The LM head; when absent the model ties it to ``tokenEmbedding``.
    public static let output = "output.weight"
    /// Llama-3 RoPE frequency factors (written by convert_hf_to_gguf.py for rope_type llama3).
    public static let ropeFreqs = "rope_freqs.weight"

    /// An LM-head bias (llama.cpp reads one for Qwen2); not supported here.
    public static let outputBias = "output.bias"

    public static func attentionNorm(_ layer: Int) -> String { "blk.\(layer).attn_norm.weight" }
    public static func ffnNorm(_ layer: Int) -> String { "blk.\(layer).ffn_norm.weight" }
    public static func matrix(_ layer: Int, _ target: LoRATarget) -> String {
        "blk.\(layer).\(target.ggufName).weight"
    }
    /// The optional bias of a matrix (Qwen2's q, k and v), [rows].
    public static func bias(_ layer: Int, _ target: LoRATarget) -> String {
        "blk.\(layer).\(target.ggufName).bias"
    }
}

/// A linear layer of a decoder block that a LoRA adapter may adapt.
public enum LoRATarget: String, Sendable, CaseIterable, Hashable, Comparable, CustomStringConvertible {
    case q, k, v, o, gate, up, down

    /// GGUF tensor stem (`blk.N.<stem>.weight`).
    public var ggufName: String {
        switch self {
        case .q: return "attn_q"
        case .k: return "attn_k"
        case .v: return "attn_v"
        case .o: return "attn_output"
        case .gate: return "ffn_gate"
        case .up: return "ffn_up"
        case .down: return "ffn_down"
        }
    }

    /// Hugging Face module name (`q_proj`, ..., `down_proj`), as PEFT's `target_modules` lists it.
    public var peftModule: String { rawValue + "_proj" }

    /// Parent module in the Hugging Face Llama layer (`self_attn` or `mlp`).
    public var peftParent: String {
        switch self {
        case .q, .k, .v, .o: return "self_attn"
        case .gate, .up, .down: return "mlp"
        }
    }

    public init?(ggufName: String) {
        guard let t = LoRATarget.allCases.first(where: { $0.ggufName == ggufName }) else { return nil }
        self = t
    }

    public init?(peftModule: String) {
        guard let t = LoRATarget.allCases.first(where: { $0.peftModule == peftModule }) else { return nil }
        self = t
    }

    /// (output features, input features) of this layer's weight in a model with `config`.
    public func shape(in config: LlamaConfig) -> (rows: Int, cols: Int) {
        switch self {
        case .q, .o: return (config.width, config.width)
        case .k, .v: return (config.kvWidth, config.width)
        case .gate, .up: return (config.ffnWidth, config.width)
        case .down: return (config.width, config.ffnWidth)
        }
    }

    public var description: String { rawValue }

    public static func < (a: LoRATarget, b: LoRATarget) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where one LoRA pair applies: a layer and a target in it.
public struct LoRASite: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var layer: Int
    public var target: LoRATarget
    public init(layer: Int, target: LoRATarget) {
        self.layer = layer
        self.target = target
    }

    /// The GGUF base tensor the pair adapts, e.g. `blk.3.attn_q.weight`.
    public var ggufTensorName: String { LlamaTensorName.matrix(layer, target) }

    /// The PEFT key prefix, e.g. `base_model.model.model.layers.3.self_attn.q_proj`.
    public var peftPrefix: String { "base_model.model.model.layers.\(layer).\(target.peftParent).\(target.peftModule)" }

    public var description: String { "layer \(layer) \(target)" }

    public static func < (a: LoRASite, b: LoRASite) -> Bool {
        (a.layer, a.target) < (b.layer, b.target)
    }
}
