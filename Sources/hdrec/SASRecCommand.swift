// `hdrec sasrec`: train SASRec from scratch on a prepared dataset, evaluate it
// with the shared harness, and write metrics.json, ranks.tsv, the training
// curve (SVG and TSV) and sasrec.safetensors (item table with row 0 = padding).
//
// Under `mpirun -np N` it trains data-parallel (SASRecTrainer, docs/scaling.md): every rank
// trains and evaluates its shard, rank 0 alone writes files and prints; the others print
// only errors.
import ArgumentParser
import Distributed
import Foundation
import RecSys
import Support
import TrainingOps

struct SASRecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sasrec",
        abstract: "Train SASRec, evaluate it (full ranking, leave-one-out) and export its item embeddings.")

    @Option(help: "Dataset directory from `hdrec prepare`.") var data: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Loss: ce (full softmax) or bce (one sampled negative).") var loss: String = "ce"
    @Option(help: "Hidden (item embedding) size.") var hidden: Int = 128
    @Option(help: "Transformer blocks.") var blocks: Int = 2
    @Option(help: "Attention heads.") var heads: Int = 2
    @Option(help: "Feed-forward inner size.") var inner: Int = 256
    @Option(help: "Maximum sequence length.") var maxLength: Int = 50
    @Option(help: "Hidden and attention dropout.") var dropout: Double = 0.5
    @Option(help: "Learning rate (Adam).") var lr: Double = 1e-3
    @Option(help: "Decoupled weight decay (AdamW); 0 = Adam.") var weightDecay: Double = 0
    @Option(help: "Sequences per batch.") var batchSize: Int = 128
    @Option(help: "Maximum epochs.") var epochs: Int = 200
    @Option(help: "Early-stopping patience in epochs (validation NDCG@10).") var patience: Int = 10
    @Option(help: "Random seed.") var seed: UInt64 = 2020
    @Flag(help: "Also report results with history items masked.") var maskHistory = false
    @Option(help: "Stop after this many optimizer steps and keep the last step's parameters (for checks).") var maxSteps: Int?
    @Option(help: "Under mpirun: compare the parameters' checksums across ranks every this many steps (0: only at start and end).")
    var checkParametersEvery: Int = 100
    @Option(name: .customLong("micro-shards"), help: "Cut each batch into N micro-shards, whose gradients are summed in Double: the same N at any number of ranks gives the same parameters; at most N ranks have work.")
    var microShards: Int = SASRecConfig().microShards

    func run() async throws {
        try DistributedWorld.run { world in try self.train(on: world) }
    }

    func train(on world: any Communicator) throws {
        guard let lossKind = SASRecLoss(rawValue: loss) else { throw ValidationError("--loss must be ce or bce") }
        guard hidden > 0, heads > 0, hidden % heads == 0 else { throw ValidationError("--hidden must be a positive multiple of --heads") }
        guard blocks > 0, inner > 0, maxLength > 0, batchSize > 0, epochs > 0, patience > 0 else {
            throw ValidationError("sizes, --epochs and --patience must be positive")
        }
        guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
        guard microShards >= 1 else { throw ValidationError("--micro-shards must be at least 1; found \(microShards)") }
        guard (maxSteps ?? 1) > 0, checkParametersEvery >= 0 else {
            throw ValidationError("--max-steps must be positive and --check-parameters-every non-negative")
        }
        var config = SASRecConfig()
        config.loss = lossKind; config.hidden = hidden; config.blocks = blocks; config.heads = heads; config.inner = inner
        config.maxLength = maxLength; config.hiddenDropout = dropout; config.attentionDropout = dropout
        config.learningRate = lr; config.weightDecay = weightDecay; config.batchSize = batchSize
        config.maxEpochs = epochs; config.patience = patience; config.seed = seed
        config.maxSteps = maxSteps; config.microShards = microShards

        // Unbuffered, so epoch lines reach a log file as they happen; rank 0 alone speaks.
        let root = world.isRoot
        func say(_ line: String) { if root { FileHandle.standardOutput.write(Data((line + "\n").utf8)) } }
        let dataset = try DatasetStore.load(data)
        if root { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        if world.size > 1 { say("data-parallel over \(world.size) ranks: each trains \(microShards / world.size)-\((microShards + world.size - 1) / world.size) of every batch's \(microShards) micro-shards and evaluates 1/\(world.size) of the users") }
        say("SASRec on \(dataset.name): \(dataset.numUsers) users, \(dataset.numItems) items; loss \(lossKind.rawValue), hidden \(hidden), \(blocks) blocks, \(heads) heads, dropout \(dropout), lr \(lr), batch \(batchSize)")
        let result = try SASRecTrainer.train(dataset: dataset, config: config, communicator: world,
                                             parameterCheckInterval: checkParametersEvery, log: say)

        let evalStart = Date()
        let report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: result.model, dataset: dataset),
                                            options: EvaluationOptions(maskHistory: maskHistory, showProgress: root),
                                            communicator: world)
        let evalSeconds = Date().timeIntervalSince(evalStart)
        guard root else { return }
        try report.write(to: out)
        try SASRecExport.write(result.model, to: out + "/sasrec.safetensors", metadata: ["dataset": dataset.name, "best_epoch": String(result.bestEpoch)])

        var tsv = "epoch\ttrain_loss\tvalid_ndcg10\tvalid_recall10\ttrain_seconds\ttrain_cpu_seconds\teval_seconds\n"
        for e in result.epochs {
            tsv += String(format: "%d\t%.6f\t%.6f\t%.6f\t%.3f\t%.3f\t%.3f\n", e.epoch, e.trainLoss, e.validNDCG10, e.validRecall10,
                          e.trainSeconds, e.trainCPUSeconds, e.evalSeconds)
        }
        try AtomicFile.write(tsv, to: out + "/training_log.tsv")
        var lossPlot = SVGPlot(title: "SASRec on \(dataset.name): training loss", xLabel: "epoch", yLabel: "cross-entropy (nats)")
        lossPlot.add(.init(name: "train loss", values: result.epochs.map(\.trainLoss)))
        try lossPlot.write(to: out + "/loss.svg")
        var metricPlot = SVGPlot(title: "SASRec on \(dataset.name): validation", xLabel: "epoch", yLabel: "metric")
        metricPlot.add(.init(name: "valid NDCG@10", values: result.epochs.map(\.validNDCG10)))
        metricPlot.add(.init(name: "valid Recall@10", values: result.epochs.map(\.validRecall10)))
        try metricPlot.write(to: out + "/valid_metrics.svg")

        let count = Double(max(1, result.epochs.count))
        let meanEpoch = result.epochs.map(\.trainSeconds).reduce(0, +) / count
        let meanCPU = result.epochs.map(\.trainCPUSeconds).reduce(0, +) / count
        let samplesPerSecond = Double(result.epochs.map(\.samples).reduce(0, +)) / max(1e-9, result.epochs.map(\.trainSeconds).reduce(0, +))
        say(report.table())
        say(String(format: "best epoch %d of %d; mean training epoch %.2fs wall (%.2f CPU-s over %d rank(s), %.0f samples/s); full evaluation (valid + test) %.2fs",
                     result.bestEpoch, result.epochs.count, meanEpoch, meanCPU, world.size, samplesPerSecond, evalSeconds))
        say("wrote \(out)/metrics.json, ranks.tsv, sasrec.safetensors, training_log.tsv, loss.svg, valid_metrics.svg")
    }
}
