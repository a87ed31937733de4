// Training SASRec on a prepared dataset: each user's training history (the
// sequence without its validation and test items), cut to its last
// maxLength + 1 items, is one example whose every position predicts the next
// item. Epochs shuffle users (SplitMix64 seed), batches are packed, Adam(W)
// updates, and after each epoch the full-ranking validation NDCG@10 decides
// early stopping (patience epochs without improvement); the best epoch's
// parameters are returned.
//
// Micro-shards and data-parallel (docs/scaling.md): every rank shuffles the same order and cuts
// the same global batches, and every batch is cut into the same `microShards` micro-shards at any
// number of ranks. A rank runs its micro-shards one at a time, with the loss normalised by the
// global batch's position count, and folds each one's gradient into a Double sum; the sums are
// all-reduced over the ranks and rounded once to Float before the AdamW update
// (GradientAccumulator.swift), so every rank applies the same update, bit for bit the one a
// single process applies. Dropout masks and BCE negatives are keyed by example and position
// (SASRecModel), not by place in a batch. With one rank nothing is communicated.
import Distributed
import Foundation
import Support
import TrainingOps

/// One epoch of the training log.
public struct SASRecEpoch: Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validNDCG10: Double
    public var validRecall10: Double
    public var trainSeconds: Double
    public var evalSeconds: Double
    /// CPU seconds (all threads, summed over all ranks) of the training part of the epoch.
    public var trainCPUSeconds: Double
    /// Optimizer steps in the epoch and sequences trained on (over all ranks).
    public var steps: Int
    public var samples: Int
}

/// The outcome of training.
public struct SASRecTrainingResult: Sendable {
    public var model: SASRecModel<Float>
    public var epochs: [SASRecEpoch]
    public var bestEpoch: Int
}

public enum SASRecTrainer {
    /// The (inputs, targets) training examples: one per user with at least 2 training items.
    public static func examples(_ dataset: Dataset, maxLength: Int) -> [(inputs: ArraySlice<Int>, targets: ArraySlice<Int>)] {
        var out: [(ArraySlice<Int>, ArraySlice<Int>)] = []
        for u in 0..<dataset.numUsers {
            let train = dataset.train(u)
            guard train.count >= 2 else { continue }
            let window = train.suffix(maxLength + 1)
            out.append((window.dropLast(), window.dropFirst()))
        }
        return out
    }

    /// Trains with early stopping on validation NDCG@10. `log` receives one line per epoch (on rank 0 only).
    /// - Parameters:
    ///   - communicator: the data-parallel ranks; every rank calls `train` with the same arguments.
    ///   - parameterCheckInterval: with more than one rank, compare the parameters' checksums across
    ///     ranks before the first step, every this many steps (0: never again) and after the last.
    public static func train(dataset: Dataset, config: SASRecConfig,
                             communicator: any Communicator = SingleProcessCommunicator(),
                             parameterCheckInterval: Int = 100, showProgress: Bool = true,
                             log: (String) -> Void = { print($0) }) throws -> SASRecTrainingResult {
        guard config.hidden % config.heads == 0 else {
            throw RecSysError.invalidArgument("hidden size \(config.hidden) is not divisible by \(config.heads) heads")
        }
        guard config.hiddenDropout >= 0, config.hiddenDropout < 1, config.attentionDropout >= 0, config.attentionDropout < 1 else {
            throw RecSysError.invalidArgument("dropout must be in [0, 1)")
        }
        let data = examples(dataset, maxLength: config.maxLength)
        guard !data.isEmpty else { throw RecSysError.emptyDataset(reason: "no user has two training items") }
        let parallel = communicator.size > 1
        let root = communicator.isRoot
        var model = SASRecModel<Float>(config: config, numItems: dataset.numItems)
        var optimizer = AdamWState<Float>(count: model.parameters.count, rule: AdamW(weightDecay: config.weightDecay),
                                          biasCorrection: .moments)
        var shuffler = SplitMix64(seed: config.seed ^ 0x5348_5546)
        var best = (ndcg: -1.0, epoch: 0, parameters: model.parameters)
        var epochs: [SASRecEpoch] = []
        let steps = (data.count + config.batchSize - 1) / config.batchSize
        var step = 0
        func checkParameters() throws {
            guard parallel else { return }
            try model.parameters.withUnsafeBufferPointer { p throws in
                try ParameterDriftCheck.verify([p], step: step, on: communicator)
            }
        }
        try checkParameters()
        guard config.microShards >= communicator.size else {
            throw RecSysError.invalidArgument("\(communicator.size) ranks share each batch's \(config.microShards) micro-shards, so \(communicator.size - config.microShards) would have no work; give --micro-shards \(communicator.size) or more")
        }
        // [parameters] one micro-shard's gradient, folded into `accumulator` after each
        var grads = [Float](repeating: 0, count: model.parameters.count)
        let accumulator = try GradientAccumulator(count: grads.count)
        epochLoop: for epoch in 1...max(1, config.maxEpochs) {
            let start = Date()
            let cpuStart = ProcessClock.cpuSeconds()
            var order = Array(0..<data.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(shuffler.next() % UInt64(i + 1))) }
            let bar = ProgressBar(label: "epoch \(epoch)", total: steps, enabled: showProgress && root)
            var lossSum = 0.0, positions = 0, epochSteps = 0, samples = 0
            var stepLimitReached = false
            for s in 0..<steps {
                let global = Array(order[(s * config.batchSize)..<min(order.count, (s + 1) * config.batchSize)])
                let globalPositions = global.reduce(0) { $0 + data[$1].inputs.count }
                let dropoutSeed = TrainingRNG.derive(config.seed, UInt64(epoch), UInt64(s))
                var loss = 0.0
                // The last step's summed gradient is still in `grads`; each micro-shard's backward adds to it.
                for i in grads.indices { grads[i] = 0 }
                accumulator.reset()
                for shard in try BatchSharding.microShards(count: global.count, microShards: config.microShards,
                                                           rank: communicator.rank, size: communicator.size) {
                    let ids = global[shard]
                    let batch = SASRecBatch(sequences: ids.map { data[$0].inputs }, keys: ids.map { UInt64($0) })
                    loss += model.lossAndGradient(batch, targets: ids.flatMap { data[$0].targets }, dropoutSeed: dropoutSeed,
                                                  normalizer: globalPositions, grads: &grads)
                    try grads.withUnsafeMutableBufferPointer { g throws in try accumulator.fold([g]) }
                }
                try grads.withUnsafeMutableBufferPointer { g throws in try accumulator.reduce(into: [g], on: communicator) }
                if parallel { loss = try communicator.sum(loss) }
                guard loss.isFinite else {
                    throw RecSysError.invalidArgument("training diverged at epoch \(epoch), step \(s + 1): loss \(loss)")
                }
                optimizer.update(&model.parameters, gradients: grads, learningRate: config.learningRate)
                step += 1; epochSteps += 1; samples += global.count
                if parameterCheckInterval > 0, step % parameterCheckInterval == 0 { try checkParameters() }
                lossSum += loss * Double(globalPositions)
                positions += globalPositions
                bar.advance(status: String(format: "loss %.4f", lossSum / Double(positions)))
                if let limit = config.maxSteps, step >= limit { stepLimitReached = true; break }
            }
            bar.finish()
            let trainSeconds = Date().timeIntervalSince(start)
            var trainCPU = ProcessClock.cpuSeconds() - cpuStart
            if parallel { trainCPU = try communicator.sum(trainCPU) }
            let evalStart = Date()
            let report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: model, dataset: dataset),
                                                options: EvaluationOptions(splits: [.valid], showProgress: false),
                                                communicator: communicator)
            let valid = report.result("valid")!
            let record = SASRecEpoch(epoch: epoch, trainLoss: lossSum / Double(positions), validNDCG10: valid.metric("NDCG@10"),
                                     validRecall10: valid.metric("Recall@10"), trainSeconds: trainSeconds,
                                     evalSeconds: Date().timeIntervalSince(evalStart), trainCPUSeconds: trainCPU,
                                     steps: epochSteps, samples: samples)
            epochs.append(record)
            // Every rank holds the same combined report, so every rank takes the same decisions here.
            let improved = record.validNDCG10 > best.ndcg
            if improved { best = (record.validNDCG10, epoch, model.parameters) }
            if root {
                log(String(format: "epoch %3d  loss %.4f  valid N@10 %.4f R@10 %.4f  train %.1fs (%.1f CPU-s, %.0f samples/s) eval %.1fs%@",
                           epoch, record.trainLoss, record.validNDCG10, record.validRecall10, trainSeconds, trainCPU,
                           Double(samples) / max(trainSeconds, 1e-9), record.evalSeconds, improved ? "  *" : ""))
            }
            if stepLimitReached {
                best = (record.validNDCG10, epoch, model.parameters)
                break epochLoop
            }
            if epoch - best.epoch >= config.patience { break }
        }
        try checkParameters()
        model.parameters = best.parameters
        return SASRecTrainingResult(model: model, epochs: epochs, bestEpoch: best.epoch)
    }
}
