// `hdrec bench-train`: seconds per training step and training tokens/s of HDRec's text branch
// (forward, CE, backward, AdamW) at the PyTorch + PEFT peer's shapes (docs/peers.md: the first 8
// layers of SmolLM2-135M, LoRA r 8 / alpha 32 / dropout 0.05 on q, k, v, o, up, down, 10 × 160
// tokens, 8 supervised positions per sequence, IPL 576 → 512 → 4,344). Tools/bench_train.sh runs it
// next to Tools/bench_train_peer.py and writes BENCHMARKS.md's "Trainer" section.
// The work is in Workbench.TrainStepBenchmark.
import ArgumentParser
import Foundation
import JSON
import ModelFiles
import Training
import TrainingOps
import Workbench

struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Measure HDRec training step speed (s/step, tokens/s) at the PyTorch + PEFT peer's shapes.")

    @Option(help: "Base decoder GGUF (general.architecture llama or qwen2).") var base: String
    @Option(help: "Decoder layers used (the first L).") var layers: Int = 8
    @Option(help: "Sequences per step.") var sequences: Int = 10
    @Option(help: "Tokens per sequence.") var length: Int = 160
    @Option(help: "Supervised positions per sequence.") var positions: Int = 8
    @Option(help: "Items (IPL outputs).") var items: Int = 4344
    @Option(name: .customLong("ipl-hidden"), help: "IPL hidden width.") var iplHidden: Int = 512
    @Option(name: .customLong("lora-dropout"), help: "LoRA dropout (the peer's 0.05).") var loraDropout: Double = 0.05
    @Option(help: "Timed steps (their mean is reported).") var steps: Int = 3
    @Option(help: "Untimed warm-up steps.") var warmup: Int = 2
    @Option(help: "Worker threads, the calling thread included.") var threads: Int = 2
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if layers < 1 { throw ValidationError("--layers must be at least 1") }
    }

    func run() throws {
        // ThreadPool.shared reads HDREC_THREADS once, on first use: nothing has used it yet.
        setenv("HDREC_THREADS", String(threads), 1)
        var config = TrainStepBenchmarkConfig()
        config.layers = layers; config.sequences = sequences; config.length = length
        config.positions = positions; config.items = items; config.iplHidden = iplHidden
        config.loraDropout = loraDropout; config.steps = steps; config.warmup = warmup
        let loadStart = Date()
        let frozen = try FrozenBase<Float>(gguf: try GGUFFile(path: base), layers: layers)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let r = try TrainStepBenchmark.run(base: frozen, config: config)
        if json {
            func n(_ x: Double) -> JSONValue { .number(x) }
            let record: [String: JSONValue] = [
                "impl": .string("hdrec"), "layers": n(Double(layers)), "sequences": n(Double(sequences)), "length": n(Double(length)),
                "positions": n(Double(positions)), "items": n(Double(items)), "ipl_hidden": n(Double(iplHidden)),
                "lora_dropout": n(Double(loraDropout)), "threads": n(Double(threads)), "steps": n(Double(steps)),
                "warmup": n(Double(warmup)), "tokens_per_step": n(Double(r.tokensPerStep)),
                "step_seconds": .array(r.stepSeconds.map(n)), "seconds_per_step": n(r.secondsPerStep),
                "tokens_per_second": n(r.tokensPerSecond), "forward_seconds": n(r.forwardSeconds), "loss_seconds": n(r.lossSeconds),
                "backward_seconds": n(r.backwardSeconds), "optimizer_seconds": n(r.optimizerSeconds),
                "cpu_seconds_per_step": n(r.cpuSecondsPerStep), "last_loss": n(Double(r.lastLoss)), "load_seconds": n(loadSeconds),
            ]
            print(JSONValue.object(record.keys.sorted().map { ($0, record[$0]!) }).serialized())
        } else {
            func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }
            print("hdrec train step: \(layers) layers, \(sequences) × \(length) tokens, \(positions) positions, \(items) items, \(threads) threads")
            print("  base loaded (f32) in \(f(loadSeconds, 1)) s")
            print("  s/step \(f(r.secondsPerStep)) (mean of \(steps) after \(warmup) warm-up; steps: \(r.stepSeconds.map { f($0) }.joined(separator: ", ")))")
            print("  tokens/s \(f(r.tokensPerSecond, 1))")
            print("  parts: forward \(f(r.forwardSeconds)) s, loss \(f(r.lossSeconds)) s, backward \(f(r.backwardSeconds)) s, AdamW \(f(r.optimizerSeconds)) s")
            print("  CPU s/step (all threads) \(f(r.cpuSecondsPerStep)); last loss \(f(r.lastLoss, 4))")
        }
    }
}
