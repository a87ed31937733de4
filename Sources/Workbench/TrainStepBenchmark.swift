// TrainStepBenchmark: the speed of one HDRec text-branch training step, shaped like a
// PyTorch + PEFT LoRA training step on SmolLM2-135M (the peer docs/training.md "Speed"
// compares with), so the two can be measured side by side (`hdrec bench-train`,
// Tools/bench_train.sh, BENCHMARKS.md "Trainer").
//
// The step is the trainer's own code path (HDRecNetwork.forward/backward, SoftmaxCrossEntropy,
// AdamW), over a synthetic batch: B sequences of T random token ids (no padding), S supervised
// positions per sequence spread evenly with random item targets, the mean over positions as
// PyTorch's cross_entropy takes it, then one AdamW update of the text LoRA and the IPL. The peer
// does the same: the first L decoder layers, the final norm, the hidden states at S positions
// through IPL (C → Hi → SiLU → I), CE, backward, AdamW over LoRA + IPL, zero_grad.
// Not part of the test suite: speed belongs in benchmarks (docs/training.md §Speed).
import Foundation
import Kernels
import Llama
import ModelFiles
import HDRecInference
import RecSys
import Support
import Training
import TrainingOps

/// The shapes and hyper-parameters of a benchmark step (defaults: the peer's).
public struct TrainStepBenchmarkConfig: Sendable, Codable, Equatable {
    public var layers = 8
    public var sequences = 10
    public var length = 160
    public var positions = 8
    public var items = 4344
    public var iplHidden = 512
    public var loraRank = 8
    public var loraAlpha = 32.0
    public var loraDropout = 0.05
    public var steps = 3
    public var warmup = 2
    public var seed: UInt64 = 1

    public init() {}
}

/// Mean seconds of the timed steps, by part, and the derived throughput.
public struct TrainStepBenchmarkResult: Sendable, Codable {
    public var config: TrainStepBenchmarkConfig
    /// Tokens per step as the peer counts them: sequences × length.
    public var tokensPerStep: Int
    /// Wall-clock seconds of each timed step.
    public var stepSeconds: [Double]
    public var secondsPerStep: Double
    public var tokensPerSecond: Double
    /// Mean wall seconds of the parts: decoder + IPL forward, loss (CE and its gradient),
    /// backward, optimizer (AdamW and zeroing the gradients).
    public var forwardSeconds: Double, lossSeconds: Double, backwardSeconds: Double, optimizerSeconds: Double
    /// Mean process CPU seconds per step (all threads): less sensitive to a busy machine's lost time slices.
    public var cpuSecondsPerStep: Double
    /// The loss of the last step (a sanity check: about ln(items) at the start).
    public var lastLoss: Double
}

/// Times HDRec training steps on a synthetic batch.
public enum TrainStepBenchmark {
    /// Builds the network over `base` (which must hold at least `config.layers` layers) and
    /// runs `warmup` untimed then `steps` timed steps.
    public static func run(base: FrozenBase<Float>, config b: TrainStepBenchmarkConfig) throws -> TrainStepBenchmarkResult {
        guard b.layers >= 1, b.layers <= base.layers.count else {
            throw HDRecTrainingError.invalidConfiguration(field: "layers", reason: "must be in 1...\(base.layers.count), found \(b.layers)")
        }
        guard b.sequences >= 1, b.length >= 1, b.items >= 1, b.steps >= 1, b.warmup >= 0,
              b.positions >= 1, b.positions <= b.length else {
            throw HDRecTrainingError.invalidConfiguration(field: "benchmark shape",
                                                          reason: "need sequences, length, items, steps ≥ 1, warmup ≥ 0 and 1 ≤ positions ≤ length")
        }
        var network = HDRecNetworkConfig(layers: b.layers, projectorHidden: 1, iplHidden: b.iplHidden)
        network.loraRank = b.loraRank
        network.loraAlpha = b.loraAlpha
        network.loraDropout = b.loraDropout
        network.iplDropout = 0   // the peer's IPL has no dropout
        let vocabulary = base.config.vocabSize
        // [SEQ]/[ALIGN] ids outside the vocabulary: random prompt tokens never hit them.
        let net = try HDRecNetwork(base: base, config: network, sasrec: [Float](repeating: 0, count: (b.items + 1) * network.sasrecWidth),
                                   itemCount: b.items, seqToken: Int32(vocabulary), alignToken: Int32(vocabulary + 1))
        let parameters = try HDRecParameters(config: network, base: base, itemCount: b.items, seed: b.seed)
        let optimizer = AdamW(weightDecay: 0.01)
        let groups: Set<String> = ["lora.text", "shared"]

        var rng = TrainingRNG(seed: b.seed)
        let prompts = (0 ..< b.sequences).map { _ -> PromptSequence in
            let tokens = (0 ..< b.length).map { _ in Int32(rng.nextInt(below: vocabulary)) }
            let supervision = (0 ..< b.positions).map { i in
                Supervision(position: (i + 1) * b.length / b.positions - 1, target: rng.nextInt(below: b.items))
            }
            return PromptSequence(tokens: tokens, itemSlots: [], supervision: supervision, readPosition: b.length - 1,
                                  prefixLength: 0, items: [])
        }

        var steps: [Double] = [], forward = 0.0, lossTime = 0.0, backward = 0.0, optimizerTime = 0.0, cpu = 0.0
        var lastLoss = 0.0
        for step in 0 ..< (b.warmup + b.steps) {
            let c0 = ProcessClock.cpuSeconds(), t0 = monotonicSeconds()
            let f = try net.forward(prompts, branch: .text, parameters: parameters, training: true,
                                    seed: TrainingRNG.derive(b.seed, UInt64(step), 3))
            let t1 = monotonicSeconds()
            let n = f.rowCount
            let dLogits = Tensor<Float>(count: n * b.items), lse = Tensor<Float>(count: n)
            let weights: [Float] = RowWeights.batchMean(rows: n)
            let loss = try f.targets.withUnsafeBufferPointer { t in
                try weights.withUnsafeBufferPointer { w in
                    let value = try SoftmaxCrossEntropy.forward(losses: nil, lse: lse.pointer, logits: f.logits.const,
                                                                targets: t.baseAddress!, weights: w.baseAddress!, n: n, v: b.items)
                    SoftmaxCrossEntropy.backward(dLogits: dLogits.pointer, logits: f.logits.const, lse: lse.const,
                                                 targets: t.baseAddress!, weights: w.baseAddress!, dLoss: 1, n: n, v: b.items)
                    return value
                }
            }
            guard loss.isFinite else { throw HDRecTrainingError.nonFiniteLoss(step: step, phase: "bench-train") }
            let t2 = monotonicSeconds()
            try net.backward(f, dLogits: dLogits.const, parameters: parameters)
            let t3 = monotonicSeconds()
            optimizer.step(parameters.store, learningRate: 1e-4, where: { groups.contains($0.group) })
            parameters.store.zeroGradients()
            let t4 = monotonicSeconds(), c1 = ProcessClock.cpuSeconds()
            lastLoss = loss
            if step >= b.warmup {
                steps.append(t4 - t0)
                forward += t1 - t0; lossTime += t2 - t1; backward += t3 - t2; optimizerTime += t4 - t3
                cpu += c1 - c0
            }
        }
        let k = Double(b.steps)
        let mean = steps.reduce(0, +) / k
        let tokens = b.sequences * b.length
        return TrainStepBenchmarkResult(config: b, tokensPerStep: tokens, stepSeconds: steps, secondsPerStep: mean,
                                        tokensPerSecond: Double(tokens) / mean, forwardSeconds: forward / k,
                                        lossSeconds: lossTime / k, backwardSeconds: backward / k,
                                        optimizerSeconds: optimizerTime / k, cpuSecondsPerStep: cpu / k, lastLoss: lastLoss)
    }
}
