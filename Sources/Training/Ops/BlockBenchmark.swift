// BlockBenchmark: forward + backward throughput of one Llama block with LoRA, for BENCHMARKS.md.
//
// Not a test: call it from a release build (docs/training.md gives the command). Random f32 base
// weights of the requested shape (values do not matter for speed), one adapter on the config's
// targets with non-zero B, a left-padded batch of equal-length sequences.
import Foundation

/// Measures one decoder layer's training step speed.
public enum BlockBenchmark {
    public struct Result: Sendable {
        public let tokens: Int
        public let secondsPerStep: Double
        public var tokensPerSecond: Double { Double(tokens) / secondsPerStep }
        /// Bytes of activations the layer keeps for backward.
        public let savedBytes: Int
    }

    /// - Returns: the median over `iterations` timed forward+backward passes, after one warm-up.
    public static func run(config c: LlamaBlockConfig = .smolLM2, sequences: Int, length: Int,
                           iterations: Int = 3, seed: UInt64 = 1) throws -> Result {
        var rng = TrainingRNG(seed: seed)
        func tensor(_ n: Int, _ bound: Double) -> Tensor<Float> {
            let t = Tensor<Float>(count: n)
            for i in 0..<n { t[i] = Float(rng.uniform(-bound, bound)) }
            return t
        }
        var base: [LoRATargets: Tensor<Float>] = [:], a: [LoRATargets: Tensor<Float>] = [:], b: [LoRATargets: Tensor<Float>] = [:]
        var ga: [LoRATargets: Tensor<Float>] = [:], gb: [LoRATargets: Tensor<Float>] = [:]
        for t in LlamaBlock.order {
            let p = c.projection(t)
            base[t] = tensor(p.out * p.in, 1 / Double(p.in).squareRoot())
            if c.targets.contains(t) {
                a[t] = tensor(c.loraRank * p.in, 0.05); b[t] = tensor(p.out * c.loraRank, 0.05)
                ga[t] = Tensor(count: c.loraRank * p.in); gb[t] = Tensor(count: p.out * c.loraRank)
            }
        }
        let n1 = tensor(c.dim, 1), n2 = tensor(c.dim, 1)
        let weights = LlamaBlockWeights(attnNorm: n1.const, wq: base[.q]!.const, wk: base[.k]!.const, wv: base[.v]!.const,
                                        wo: base[.o]!.const, ffnNorm: n2.const, wGate: base[.gate]!.const,
                                        wUp: base[.up]!.const, wDown: base[.down]!.const)
        let adapter = LlamaBlockAdapter(Dictionary(uniqueKeysWithValues: a.keys.map { ($0, LoRAWeights(a: a[$0]!.const, b: b[$0]!.const)) }))
        let grads = LlamaBlockGradients(byTarget: Dictionary(uniqueKeysWithValues: ga.keys.map { ($0, LoRAGradients(a: ga[$0]!.pointer, b: gb[$0]!.pointer)) }))
        let batch = try SequenceBatch.leftPadded(lengths: [Int](repeating: length, count: sequences), paddedLength: length)
        let m = batch.tokenCount
        let positions = batch.positions()
        let x = tensor(m * c.dim, 1), dOut = tensor(m * c.dim, 1e-3)
        let out = Tensor<Float>(count: m * c.dim), dx = Tensor<Float>(count: m * c.dim)
        let saved = LlamaBlockActivations<Float>(config: c, rows: m)
        var times: [Double] = []
        positions.withUnsafeBufferPointer { p in
            for it in 0...iterations {
                let t0 = DispatchTime.now().uptimeNanoseconds
                LlamaBlock.forward(out: out.pointer, saved: saved, input: x.const, weights: weights, adapter: adapter,
                                   batch: batch, positions: p.baseAddress!, config: c, seed: UInt64(it))
                LlamaBlock.backward(dInput: dx.pointer, gradients: grads, dOut: dOut.const, saved: saved, weights: weights,
                                    adapter: adapter, batch: batch, positions: p.baseAddress!, config: c, seed: UInt64(it))
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                if it > 0 { times.append(dt) }
            }
        }
        times.sort()
        return Result(tokens: m, secondsPerStep: times[times.count / 2], savedBytes: saved.byteCount)
    }
}
