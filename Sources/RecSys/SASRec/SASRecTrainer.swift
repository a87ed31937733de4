// Training SASRec on a prepared dataset: each user's training history (the
// sequence without its validation and test items), cut to its last
// maxLength + 1 items, is one example whose every position predicts the next
// item. Epochs shuffle users (SplitMix64 seed), batches are packed, Adam(W)
// updates, and after each epoch the full-ranking validation NDCG@10 decides
// early stopping (patience epochs without improvement); the best epoch's
// parameters are returned.
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
    /// CPU seconds (all threads) of the training part of the epoch.
    public var trainCPUSeconds: Double
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

    /// Trains with early stopping on validation NDCG@10. `log` receives one line per epoch.
    public static func train(dataset: Dataset, config: SASRecConfig, showProgress: Bool = true,
                             log: (String) -> Void = { print($0) }) throws -> SASRecTrainingResult {
        guard config.hidden % config.heads == 0 else {
            throw RecSysError.invalidArgument("hidden size \(config.hidden) is not divisible by \(config.heads) heads")
        }
        guard config.hiddenDropout >= 0, config.hiddenDropout < 1, config.attentionDropout >= 0, config.attentionDropout < 1 else {
            throw RecSysError.invalidArgument("dropout must be in [0, 1)")
        }
        let data = examples(dataset, maxLength: config.maxLength)
        guard !data.isEmpty else { throw RecSysError.emptyDataset(reason: "no user has two training items") }
        var model = SASRecModel<Float>(config: config, numItems: dataset.numItems)
        var optimizer = AdamWState<Float>(count: model.parameters.count, rule: AdamW(weightDecay: config.weightDecay),
                                          biasCorrection: .moments)
        var shuffler = SplitMix64(seed: config.seed ^ 0x5348_5546)
        var best = (ndcg: -1.0, epoch: 0, parameters: model.parameters)
        var epochs: [SASRecEpoch] = []
        let steps = (data.count + config.batchSize - 1) / config.batchSize
        for epoch in 1...max(1, config.maxEpochs) {
            let start = Date()
            let cpuStart = ProcessClock.cpuSeconds()
            var order = Array(0..<data.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(shuffler.next() % UInt64(i + 1))) }
            let bar = ProgressBar(label: "epoch \(epoch)", total: steps, enabled: showProgress)
            var lossSum = 0.0, positions = 0
            var grads = [Float](repeating: 0, count: model.parameters.count)
            for s in 0..<steps {
                let ids = order[(s * config.batchSize)..<min(order.count, (s + 1) * config.batchSize)]
                let batch = SASRecBatch(sequences: ids.map { data[$0].inputs })
                let targets = ids.flatMap { data[$0].targets }
                var rng: SplitMix64? = SplitMix64.derived(seed: config.seed, stream: UInt64(epoch) << 32 | UInt64(s))
                for i in grads.indices { grads[i] = 0 }
                let loss = model.lossAndGradient(batch, targets: targets, rng: &rng, grads: &grads)
                guard loss.isFinite else {
                    throw RecSysError.invalidArgument("training diverged at epoch \(epoch), step \(s + 1): loss \(loss)")
                }
                optimizer.update(&model.parameters, gradients: grads, learningRate: config.learningRate)
                lossSum += loss * Double(batch.positions)
                positions += batch.positions
                bar.advance(status: String(format: "loss %.4f", lossSum / Double(positions)))
            }
            bar.finish()
            let trainSeconds = Date().timeIntervalSince(start)
            let trainCPU = ProcessClock.cpuSeconds() - cpuStart
            let evalStart = Date()
            let report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: model, dataset: dataset),
                                                options: EvaluationOptions(splits: [.valid], showProgress: false))
            let valid = report.result("valid")!
            let record = SASRecEpoch(epoch: epoch, trainLoss: lossSum / Double(positions), validNDCG10: valid.metric("NDCG@10"),
                                     validRecall10: valid.metric("Recall@10"), trainSeconds: trainSeconds,
                                     evalSeconds: Date().timeIntervalSince(evalStart), trainCPUSeconds: trainCPU)
            epochs.append(record)
            let improved = record.validNDCG10 > best.ndcg
            if improved { best = (record.validNDCG10, epoch, model.parameters) }
            log(String(format: "epoch %3d  loss %.4f  valid N@10 %.4f R@10 %.4f  train %.1fs (%.1f CPU-s) eval %.1fs%@",
                       epoch, record.trainLoss, record.validNDCG10, record.validRecall10, trainSeconds, trainCPU, record.evalSeconds,
                       improved ? "  *" : ""))
            if epoch - best.epoch >= config.patience { break }
        }
        model.parameters = best.parameters
        return SASRecTrainingResult(model: model, epochs: epochs, bestEpoch: best.epoch)
    }
}
