// RoPEStyle: which values of a head rotary position embedding turns together. Declared here, at
// the bottom, because both the decoder (Llama) and the training ops (TrainingOps) rotate in
// either layout; Llama/ModelArchitecture.swift says which model family uses which.

/// Which values of a head RoPE rotates together (its first `ropeDimensionCount` = n values).
public enum RoPEStyle: String, Sendable, Equatable {
    /// (2i, 2i+1): llama.cpp LLAMA_ROPE_TYPE_NORM, for W_q/W_k rows permuted by the converter.
    case adjacentPairs
    /// (i, i + n/2): llama.cpp LLAMA_ROPE_TYPE_NEOX, Hugging Face's `rotate_half`.
    case halves
}
