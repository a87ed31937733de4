// The activations of one forward pass ("the current wave of activations", llama2.c
// RunState), one flat buffer per role for all T positions of all sequences in the pass.
// Allocated per pass and owned by it, so concurrent passes never share scratch.

final class Workspace {
    /// [T, C] residual stream
    let x: UnsafeMutableBufferPointer<Float>
    /// [T, C] normalized input of a sub-block
    let h: UnsafeMutableBufferPointer<Float>
    /// [T, C] queries, then reused for the attention output
    let q: UnsafeMutableBufferPointer<Float>
    /// [T, Hkv·D]
    let k: UnsafeMutableBufferPointer<Float>
    /// [T, Hkv·D]
    let v: UnsafeMutableBufferPointer<Float>
    /// [T, C] attention output (heads concatenated)
    let att: UnsafeMutableBufferPointer<Float>
    /// [T, F] gate, then SiLU(gate)·up
    let gate: UnsafeMutableBufferPointer<Float>
    /// [T, F]
    let up: UnsafeMutableBufferPointer<Float>
    /// [T, Rmax] LoRA intermediate A·x
    let lora: UnsafeMutableBufferPointer<Float>
    /// [T, ropeDim/2]
    let cos: UnsafeMutableBufferPointer<Float>
    /// [T, ropeDim/2]
    let sin: UnsafeMutableBufferPointer<Float>

    private var all: [UnsafeMutableBufferPointer<Float>] = []

    init(rows t: Int, config: LlamaConfig, maxRank: Int) {
        func make(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, n))
            b.initialize(repeating: 0)
            return b
        }
        let c = config.width, kv = config.kvWidth, f = config.ffnWidth
        x = make(t * c); h = make(t * c); q = make(t * c); att = make(t * c)
        k = make(t * kv); v = make(t * kv)
        gate = make(t * f); up = make(t * f)
        lora = make(t * maxRank)
        cos = make(t * config.ropeDimensionCount / 2); sin = make(t * config.ropeDimensionCount / 2)
        all = [x, h, q, k, v, att, gate, up, lora, cos, sin]
    }

    deinit {
        for b in all { b.deallocate() }
    }
}
