// BlockBenchmark: forward + backward throughput of one Llama block with LoRA, for BENCHMARKS.md.
//
// Not a test: call it from a release build (docs/training.md gives the command). Random f32 base
// weights of the requested shape (values do not matter for speed), one adapter on the config's
// targets with non-zero B, a left-padded batch of equal-length sequences.
import Foundation
import Kernels
import Llama
import Support
import Training
import TrainingOps

/// Measures one decoder layer's training step speed.
public enum BlockBenchmark {
    public struct Result: Sendable {
        public let tokens: Int
        public let secondsPerStep: Double
        /// Median forward and backward parts of a step.
        public let forwardSeconds: Double, backwardSeconds: Double
        /// The seven frozen projections' forward GEMMs alone (the floor of a forward pass).
        public let gemmFloorSeconds: Double
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
        var fw: [Double] = [], bw: [Double] = [], floor: [Double] = []
        let widest = max(c.ffnDim, c.qDim, c.dim)
        let floorIn = tensor(m * widest, 1), floorOut = Tensor<Float>(count: m * widest)
        positions.withUnsafeBufferPointer { p in
            for it in 0...iterations {
                let t0 = monotonicSeconds()
                LlamaBlock.forward(out: out.pointer, saved: saved, input: x.const, weights: weights, adapter: adapter,
                                   batch: batch, positions: p.baseAddress!, config: c, seed: UInt64(it))
                let t1 = monotonicSeconds()
                LlamaBlock.backward(dInput: dx.pointer, gradients: grads, dOut: dOut.const, saved: saved, weights: weights,
                                    adapter: adapter, batch: batch, positions: p.baseAddress!, config: c, seed: UInt64(it))
                let t2 = monotonicSeconds()
                for t in LlamaBlock.order {
                    let pr = c.projection(t)
                    Float.gemmLinear(floorOut.pointer, floorIn.const, base[t]!.const, m: m, n: pr.out, k: pr.in,
                                     accumulate: false)
                }
                let t3 = monotonicSeconds()
                if it > 0 { fw.append(t1 - t0); bw.append(t2 - t1); floor.append(t3 - t2) }
            }
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        let total = zip(fw, bw).map { $0 + $1 }
        return Result(tokens: m, secondsPerStep: median(total), forwardSeconds: median(fw), backwardSeconds: median(bw),
                      gemmFloorSeconds: median(floor), savedBytes: saved.byteCount)
    }
}
