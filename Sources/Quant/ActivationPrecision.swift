// How the quantized products treat their activations (the decoder's `--int8-activations`).

/// The precision of the activations in a product with a quantized weight matrix.
public enum ActivationPrecision: String, Sendable, CaseIterable, Codable {
    /// f32 activations against weights decoded to f32: the reference path, bitwise
    /// reproducible for any thread count.
    case f32
    /// Activations quantized to 8 bits per 32 values, integer dot products against the
    /// weight codes (AVX2): faster prefill, with the activations' rounding error
    /// (measured in docs/kernels.md "Integer prefill"). Products whose weight type has no
    /// integer kernel, those with fewer than `Int8MatMul.minRows` rows, and CPUs without
    /// AVX2 use the f32 path.
    case int8
}
