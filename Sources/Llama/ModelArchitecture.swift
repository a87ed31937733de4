// The decoder families this module runs, as `general.architecture` names them. Both are
// pre-norm RMSNorm + SwiGLU + GQA decoders; what differs is where their metadata lives
// (`<arch>.*` keys, llama.cpp llama-arch.cpp), how RoPE pairs values, and which optional
// tensors their files carry:
//
//   architecture  metadata   RoPE (llama.cpp rope type)            optional tensors
//   llama         llama.*    adjacent pairs (2i, 2i+1)   NORM      output (else tied), rope_freqs, biases
//   qwen2         qwen2.*    halves (i, i + n/2)          NEOX      output (else tied), q/k/v biases
//
// Llama GGUF files get adjacent pairs because convert_hf_to_gguf.py permutes W_q/W_k rows
// (RoPEPermutation.swift); Qwen2 files keep Hugging Face's row order and rotate halves, so
// nothing is permuted for them, LoRA B included.
import Kernels

/// A supported `general.architecture`.
public enum ModelArchitecture: String, Sendable, Equatable, CaseIterable {
    case llama
    case qwen2

    /// Resolves `general.architecture`; any other value is ``LlamaError/unsupportedArchitecture(found:)``.
    public init(name: String) throws {
        guard let arch = ModelArchitecture(rawValue: name) else { throw LlamaError.unsupportedArchitecture(found: name) }
        self = arch
    }

    /// Prefix of the hyper-parameter keys (`qwen2.block_count`, ...).
    public var metadataPrefix: String { rawValue + "." }

    /// How RoPE pairs the values of a head.
    public var ropeStyle: RoPEStyle {
        switch self {
        case .llama: return .adjacentPairs
        case .qwen2: return .halves
        }
    }

    /// The names, for messages.
    public static var supportedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Which values of a head RoPE rotates together; declared in Kernels (Kernels/RoPEStyle.swift)
/// so the training ops (TrainingOps), which sit below this module, rotate the same layouts.
public typealias RoPEStyle = Kernels.RoPEStyle
