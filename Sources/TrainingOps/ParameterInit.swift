// ParameterInit: PyTorch's default initialisations, seeded, for the tensors HDRec trains.
//
// - nn.Linear: weight and bias ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5), used for
//   the IPL and the projector (docs/public-code.md §3: PyTorch default init).
// - PEFT LoRA: lora_A ~ kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in), lora_B = 0, so a fresh
//   adapter leaves the base model's output unchanged.

/// Seeded initialisers writing into parameter views.
public enum ParameterInit {
    /// U(−1/√fanIn, 1/√fanIn) for `count` elements.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func kaimingUniform<T: TrainScalar>(_ p: UnsafeMutablePointer<T>, count: Int, fanIn: Int,
                                                      rng: inout TrainingRNG) {
        let bound = 1 / Double(max(1, fanIn)).squareRoot()
        for i in 0..<count { p[i] = T(rng.uniform(-bound, bound)) }
    }

    /// nn.Linear(in, out): weight (out, in) and optional bias (out).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func linear<T: TrainScalar>(weight: UnsafeMutablePointer<T>, bias: UnsafeMutablePointer<T>?,
                                              out: Int, in fanIn: Int, rng: inout TrainingRNG) {
        kaimingUniform(weight, count: out * fanIn, fanIn: fanIn, rng: &rng)
        if let bias { kaimingUniform(bias, count: out, fanIn: fanIn, rng: &rng) }
    }

    /// PEFT LoRA: A (rank, in) uniform, B (out, rank) zero.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func lora<T: TrainScalar>(a: UnsafeMutablePointer<T>, b: UnsafeMutablePointer<T>,
                                            rank: Int, out: Int, in fanIn: Int, rng: inout TrainingRNG) {
        kaimingUniform(a, count: rank * fanIn, fanIn: fanIn, rng: &rng)
        b.update(repeating: 0, count: out * rank)
    }
}
