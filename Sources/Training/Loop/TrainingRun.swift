// One HDRec training run in a directory: configuration, atomic checkpoints,
// --resume, per-epoch validation with the α sweep (paper Fig. 6), SVG curves,
// and the final full-ranking metrics in the harness's format.
//
//   RUN_DIR/run.json              spec: data, base, network, options, prompt (checked on --resume)
//   RUN_DIR/checkpoint.safetensors  last state: parameters, AdamW moments, step counts
//   RUN_DIR/best.safetensors      parameters of the best validation NDCG@10 epoch
//   RUN_DIR/history.json          per-step losses and per-epoch validation sweeps
//   RUN_DIR/loss.svg, alpha.svg   curves
//   RUN_DIR/metrics.json, ranks.tsv   final metrics (best epoch, chosen α, text-dominant fusion)
//
// Data-parallel under mpirun (docs/scaling.md, TrainingExecution): every rank draws the same
// epoch order and global batches, trains on its micro-shards of each (BatchSharding) and scores its
// share of the validation and evaluation users; rank 0 alone writes files and prints. The run
// directory must be shared by the ranks (they read run.json, history.json and the checkpoints).
import Distributed
import Foundation
import JSON
import Llama
import ModelFiles
import HDRecInference
import RecSys
import Support
import Tokenizer
import TrainingOps

public struct TrainingRunSpec: Sendable, Codable, Equatable {
    public var datasetPath: String
    public var datasetName: String
    public var datasetFingerprint: String
    public var basePath: String
    public var baseSHA256: String
    public var sasrecPath: String
    public var network: HDRecNetworkConfig
    public var options: TrainingOptions
    public var prompt: PromptConfiguration
    /// Users trained on (a reproducible sample when set).
    public var maxUsers: Int?
    /// Users evaluated at the end (a reproducible sample when set; 0 = all).
    public var evaluationUsers: Int
    public var command: String
    /// The resolved recipe the run was configured from (absent in runs made before recipes).
    public var recipe: TrainingRecipe? = nil

    public init(datasetPath: String, datasetName: String, datasetFingerprint: String, basePath: String, baseSHA256: String,
                sasrecPath: String, network: HDRecNetworkConfig, options: TrainingOptions, prompt: PromptConfiguration,
                maxUsers: Int?, evaluationUsers: Int, command: String) {
        self.datasetPath = datasetPath; self.datasetName = datasetName; self.datasetFingerprint = datasetFingerprint
        self.basePath = basePath; self.baseSHA256 = baseSHA256; self.sasrecPath = sasrecPath; self.network = network
        self.options = options; self.prompt = prompt; self.maxUsers = maxUsers; self.evaluationUsers = evaluationUsers
        self.command = command
    }
}

public struct EpochValidation: Sendable, Codable {
    public var epoch: Int
    /// NDCG@10 of text-dominant fusion per α (0, 0.1, ..., 1).
    public var alphaNDCG: [Double]
    public var textPassNDCG: Double
    public var idPassNDCG: Double
    public var bestAlpha: Double
    /// SASRec alone on the same users (the anchored ID pass at γ = 0), when the run has it.
    public var sasrecNDCG: Double? = nil
    /// γ of the anchored ID pass at the end of the epoch.
    public var idGate: Double? = nil

    /// The validation NDCG@10 that picks the best epoch: the fused score for the runs that
    /// train both branches, and the trained branch's own pass for the single-branch
    /// ablations (their fused score mixes in the other branch, which they never train).
    public func selectionNDCG(for ablation: Ablation) -> Double {
        switch ablation {
        case .textOnly: return textPassNDCG
        case .idOnly: return idPassNDCG
        case .none, .noKL, .noDLA: return alphaNDCG.max() ?? 0
        }
    }
}

extension Ablation {
    /// How a run's final evaluation ranks: text-dominant fusion (the paper's HDRec), or
    /// the trained branch's pass for the single-branch ablations.
    public var finalFusion: FusionMethod {
        switch self {
        case .textOnly: return .textPass
        case .idOnly: return .idPass
        case .none, .noKL, .noDLA: return .textDominant
        }
    }
}

public struct RunHistory: Sendable, Codable {
    public var losses: [StepLosses] = []
    public var validations: [EpochValidation] = []
    public var completedEpochs = 0
    public var bestEpoch: Int?
    public var bestNDCG: Double = -1
    public var bestAlpha: Double = 0.5
    public var tokensPerSecond: Double = 0
    public var secondsPerEpoch: [Double] = []
    /// Training samples (users and item-alignment samples) per second in the last epoch, over all ranks.
    public var samplesPerSecond: Double? = nil
    /// Validation before the first step: what the heads' starting values give on their own.
    public var startValidation: EpochValidation? = nil
}

/// What a run needs in memory: data, prompts, network, parameters.
public final class TrainingContext {
    public let spec: TrainingRunSpec
    public let dataset: Dataset
    public let catalog: Catalog
    public let prompts: PromptBuilder
    public let network: HDRecNetwork<Float>
    public let parameters: HDRecParameters<Float>
    public let sasrec: [Float]
    /// SASRec's user states for the anchored ID pass (nil unless `network.idAnchor`).
    public let anchors: SASRecAnchors?

    public init(spec: TrainingRunSpec, log: (String) -> Void = { _ in }) throws {
        self.spec = spec
        dataset = try DatasetStore.load(spec.datasetPath)
        catalog = try Catalog(dataset: dataset)
        let gguf = try GGUFFile(path: spec.basePath)
        let tokenizer = try Tokenizer(gguf: gguf).withHDRecTokens()
        prompts = try PromptBuilder(tokenizer: tokenizer, catalog: catalog, configuration: spec.prompt)
        sasrec = try SASRecTable.load(path: spec.sasrecPath, itemCount: dataset.numItems, width: spec.network.sasrecWidth)
        let base = try FrozenBase<Float>(gguf: gguf, layers: spec.network.layers)
        network = try HDRecNetwork(base: base, config: spec.network, sasrec: sasrec, itemCount: dataset.numItems,
                                   seqToken: prompts.seqToken, alignToken: prompts.alignToken)
        let sasrecModel = spec.network.anchored || spec.network.factorized
            ? SASRecAnchors(model: try SASRecExport.load(path: spec.sasrecPath)) : nil
        anchors = spec.network.anchored ? sasrecModel : nil
        if let sasrecModel, sasrecModel.width != spec.network.sasrecWidth {
            throw HDRecTrainingError.sasrecMismatch(file: spec.sasrecPath, expectedRows: spec.network.sasrecWidth, foundRows: sasrecModel.width)
        }
        var initialization = HeadInitialization()
        if spec.network.factorized || spec.network.ridgeProjector == true {
            let start = try HeadInitializer.compute(network: network, prompts: prompts, dataset: dataset,
                                                    users: Self.trainingUsers(dataset: dataset, spec: spec),
                                                    ridgeProjector: spec.network.ridgeProjector == true,
                                                    anchors: spec.network.sasrecProbe == true ? sasrecModel : nil, log: log)
            if spec.network.factorized { network.itemTable = Tensor(start.itemTable) }
            initialization = start.initialization
        }
        if spec.network.isCut {
            network.activationCache = ActivationCache(layer: spec.network.firstLoRALayer, width: base.config.width)
        }
        parameters = try HDRecParameters(config: spec.network, base: base, itemCount: dataset.numItems, seed: spec.options.seed,
                                         initialization: initialization)
    }

    /// The users a run trains on: all with at least two training items, or a seeded sample.
    public func trainingUsers() -> [Int] { Self.trainingUsers(dataset: dataset, spec: spec) }

    static func trainingUsers(dataset: Dataset, spec: TrainingRunSpec) -> [Int] {
        var users = (0 ..< dataset.numUsers).filter { dataset.train($0).count >= 2 }
        if let n = spec.maxUsers, n < users.count {
            var rng = TrainingRNG(seed: spec.options.seed ^ 0x5EED)
            users.shuffle(using: &rng)
            users = Array(users.prefix(n)).sorted()
        }
        return users
    }

    /// The items whose task-1 alignment samples join each epoch: all items (the public
    /// code's ConcatDataset) or, when users are sampled, the same fraction of the items,
    /// so that a sample keeps the data's mix of user and item samples.
    public func alignmentItems(trainingUsers: Int) -> [Int] {
        guard spec.options.itemAlignment else { return [] }
        let all = Array(0 ..< dataset.numItems)
        guard spec.maxUsers != nil, trainingUsers < dataset.numUsers else { return all }
        let count = max(1, Int((Double(dataset.numItems) * Double(trainingUsers) / Double(max(1, dataset.numUsers))).rounded()))
        var rng = TrainingRNG(seed: spec.options.seed ^ 0xA116)
        return Array(all.shuffled(using: &rng).prefix(count)).sorted()
    }

    /// A reproducible evaluation sample (`count` 0 = all users).
    public func evaluationUsers(_ count: Int, salt: UInt64) -> [Int] {
        var users = Array(0 ..< dataset.numUsers)
        guard count > 0, count < users.count else { return users }
        var rng = TrainingRNG(seed: spec.options.seed ^ salt)
        users.shuffle(using: &rng)
        return Array(users.prefix(count)).sorted()
    }
}

extension TrainingRNG: RandomNumberGenerator {}

public enum TrainingRun {
    public static let alphaGrid: [Double] = (0 ... 10).map { Double($0) / 10 }

    /// Trains (or resumes) the run in `directory` and writes its final metrics.
    /// `finalSplits`: the splits of the final evaluation ([] skips it; without .test, test is never touched).
    /// `execution`: the ranks, an early stop and the drift check (nothing of it is stored in the run).
    public static func train(spec: TrainingRunSpec, directory: String, resume: Bool, finalSplits: [Split] = [.valid, .test],
                             execution: TrainingExecution = TrainingExecution(),
                             log rootLog: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        let fm = FileManager.default
        let specPath = directory + "/run.json"
        let world = execution.communicator
        let isRoot = world.isRoot
        guard execution.microShards >= world.size else {
            throw HDRecTrainingError.invalidConfiguration(field: "micro-shards", reason:
                "\(world.size) ranks share each batch's \(execution.microShards) micro-shards, so \(world.size - execution.microShards) would have no work; give --micro-shards \(world.size) or more")
        }
        let log: (String) -> Void = isRoot ? rootLog : { _ in }
        /// Files are rank 0's: the others hold the same state and stay silent.
        func write(_ body: () throws -> Void) throws { if isRoot { try body() } }
        var history = RunHistory()
        let context = try TrainingContext(spec: spec, log: log)
        if resume {
            let stored = try JSONDocumentDecoder().decode(TrainingRunSpec.self, from: Data(contentsOf: URL(fileURLWithPath: specPath)))
            try checkResume(stored, spec)
            history = try JSONDocumentDecoder().decode(RunHistory.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/history.json")))
            // Every rank has read run.json and history.json before rank 0 may rewrite them.
            try world.barrier()
            if spec.options.epochs != stored.options.epochs {
                // Continued for more epochs: run.json records the run as it now stands.
                let encoder = JSONDocumentEncoder(layout: .pretty, sortedKeys: true)
                try write { try AtomicFile.write(try encoder.encode(spec), to: specPath) }
            }
        } else {
            try write {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let encoder = JSONDocumentEncoder(layout: .pretty, sortedKeys: true)
                try AtomicFile.write(try encoder.encode(spec), to: specPath)
                if let recipe = spec.recipe { try AtomicFile.write(try recipe.json(), to: directory + "/recipe.json") }
            }
        }
        let users = context.trainingUsers()
        guard !users.isEmpty else { throw HDRecTrainingError.emptyTrainingSet(reason: "no user has two training items") }
        let items = context.alignmentItems(trainingUsers: users.count)
        let samples = users.map(TrainingSample.user) + items.map(TrainingSample.item)
        let batchesPerEpoch = (samples.count + spec.options.batchSize - 1) / spec.options.batchSize
        let trainer = DLATrainer(network: context.network, parameters: context.parameters, prompts: context.prompts,
                                 options: spec.options, totalSteps: batchesPerEpoch * spec.options.epochs)
        trainer.anchors = context.anchors
        trainer.communicator = world
        if resume, fm.fileExists(atPath: directory + "/checkpoint.safetensors") {
            let step = try Checkpoint.load(context.parameters.store, from: directory + "/checkpoint.safetensors")
            trainer.restore(step: step)
        }
        // Same data, seed and code on every rank must give the same starting parameters.
        try trainer.verifyIdenticalParameters()
        log("training on \(users.count) users and \(items.count) item-alignment samples, \(batchesPerEpoch) batches per epoch, \(spec.network.layers) decoder layers; "
            + "frozen base \(context.network.base.byteCount / 1_048_576) MiB f32"
            + (execution.isDistributed ? "; \(world.size) ranks, each on its micro-shards of every batch of \(spec.options.batchSize) (\(execution.microShards) in all)" : ""))
        let validUsers = context.evaluationUsers(spec.options.validationUsers, salt: 0xA11D)
        if trainer.step == 0, history.startValidation == nil {
            let start = try validate(trainer: trainer, context: context, users: validUsers, epoch: 0, communicator: world)
            history.startValidation = start
            try write { try writeHistory(history, directory) }
            log(String(format: "before training: valid NDCG@10 text %.4f, id %.4f, fused %.4f at α = %.1f", start.textPassNDCG,
                       start.idPassNDCG, start.alphaNDCG.max() ?? 0, start.bestAlpha)
                + (start.sasrecNDCG.map { String(format: "; SASRec alone %.4f", $0) } ?? ""))
        }

        for epoch in history.completedEpochs ..< spec.options.epochs {
            var order = samples
            var rng = TrainingRNG(seed: TrainingRNG.derive(spec.options.seed, UInt64(epoch), 3))
            order.shuffle(using: &rng)
            let firstBatch = trainer.step - epoch * batchesPerEpoch
            let bar = ProgressBar(label: "epoch \(epoch + 1)/\(spec.options.epochs)", total: batchesPerEpoch, enabled: isRoot)
            bar.advance(by: max(0, firstBatch))
            let start = Date(), cpuStart = ProcessClock.cpuSeconds()
            var tokens = 0, trainedSamples = 0
            var stopped = false
            for b in max(0, firstBatch) ..< batchesPerEpoch {
                if let maxSteps = execution.maxSteps, trainer.step >= maxSteps { stopped = true; break }
                let slice = Array(order[(b * spec.options.batchSize) ..< min(order.count, (b + 1) * spec.options.batchSize)])
                // Every rank builds the whole global batch (its counts weight the losses), then its micro-shards.
                let batch = try trainer.trainingBatch(slice, dataset: context.dataset)
                if batch.isEmpty { bar.advance(); continue }
                let shards = try BatchSharding.microShards(count: slice.count, microShards: execution.microShards,
                                                           rank: world.rank, size: world.size).map {
                    try trainer.trainingBatch(Array(slice[$0]), dataset: context.dataset)
                }
                let losses = try trainer.trainStep(microShards: shards, global: GlobalLossCounts(batch))
                tokens += losses.tokens
                trainedSamples += slice.count
                history.losses.append(losses)
                let shown = [("text", losses.textCE), ("id", losses.idCE)].compactMap { n, v in v.map { "\(n) \(String(format: "%.3f", $0))" } }
                bar.advance(status: shown.joined(separator: "  ") + String(format: "  %.0f tok/s", Double(tokens) / max(1e-9, Date().timeIntervalSince(start))))
                if execution.driftCheckEvery > 0, trainer.step % execution.driftCheckEvery == 0 { try trainer.verifyIdenticalParameters() }
                if trainer.step % 200 == 0 {
                    try write {
                        try Checkpoint.save(context.parameters.store, step: trainer.step, to: directory + "/checkpoint.safetensors")
                        try writeHistory(history, directory)
                    }
                }
            }
            bar.finish()
            let seconds = Date().timeIntervalSince(start)
            // CPU time of all ranks together, beside the wall time (BENCHMARKS.md "Training over MPI").
            let cpuSeconds = try world.sum(ProcessClock.cpuSeconds() - cpuStart)
            try trainer.verifyIdenticalParameters()
            let throughput = String(format: "%d samples, %d tokens in %.1f s (CPU %.1f s over %d rank%@): %.2f samples/s, %.0f tokens/s",
                                    trainedSamples, tokens, seconds, cpuSeconds, world.size, world.size == 1 ? "" : "s",
                                    Double(trainedSamples) / max(1e-9, seconds), Double(tokens) / max(1e-9, seconds))
            if stopped {
                try write {
                    try Checkpoint.save(context.parameters.store, step: trainer.step, to: directory + "/checkpoint.safetensors")
                    try writeHistory(history, directory)
                    try writePlots(history, directory)
                }
                log("stopped after step \(trainer.step) (--max-steps): \(throughput); validation and the final evaluation skipped")
                return
            }
            log("epoch \(epoch + 1) trained: " + throughput)
            history.secondsPerEpoch.append(seconds)
            history.tokensPerSecond = Double(tokens) / max(1e-9, seconds)
            history.samplesPerSecond = Double(trainedSamples) / max(1e-9, seconds)
            let validation = try validate(trainer: trainer, context: context, users: validUsers, epoch: epoch + 1, communicator: world)
            history.validations.append(validation)
            var best = validation.selectionNDCG(for: spec.options.ablation)
            // A recipe that fixes α (the paper profile) selects the epoch at that α and serves it;
            // the α validation would have chosen stays in history.json and the log.
            var servedAlpha = validation.bestAlpha
            if let fixed = spec.options.fixedAlpha {
                let index = alphaGrid.indices.min { abs(alphaGrid[$0] - fixed) < abs(alphaGrid[$1] - fixed) } ?? 0
                servedAlpha = fixed
                if spec.options.ablation.finalFusion == .textDominant { best = validation.alphaNDCG[index] }
                log(String(format: "α fixed at %.2f by the recipe (valid NDCG@10 %.4f there); validation would choose %.1f", fixed,
                           validation.alphaNDCG[index], validation.bestAlpha))
            }
            log(String(format: "epoch %d: valid NDCG@10 text %.4f, id %.4f, fused %.4f at α = %.1f (%.0f s, %.0f tokens/s)",
                       epoch + 1, validation.textPassNDCG, validation.idPassNDCG, validation.alphaNDCG.max() ?? 0, validation.bestAlpha, seconds,
                       history.tokensPerSecond)
                + (validation.sasrecNDCG.map { String(format: "; SASRec alone %.4f", $0) } ?? "")
                + (validation.idGate.map { String(format: ", γ %.3f", $0) } ?? "")
                + "; α sweep " + validation.alphaNDCG.map { String(format: "%.4f", $0) }.joined(separator: " "))
            if best > history.bestNDCG {
                history.bestNDCG = best; history.bestEpoch = epoch + 1; history.bestAlpha = servedAlpha
                try write { try Checkpoint.save(context.parameters.store, step: trainer.step, to: directory + "/best.safetensors") }
            }
            history.completedEpochs = epoch + 1
            try write {
                try Checkpoint.save(context.parameters.store, step: trainer.step, to: directory + "/checkpoint.safetensors")
                try writeHistory(history, directory)
                try writePlots(history, directory)
            }
        }

        // Final metrics: best epoch, its α, text-dominant fusion (the paper's), or the
        // trained pass of a single-branch ablation. The other ranks read best.safetensors once
        // rank 0 has written it.
        try world.barrier()
        _ = try Checkpoint.load(context.parameters.store, from: directory + "/best.safetensors")
        guard !finalSplits.isEmpty else {
            log("final evaluation skipped (--final-eval none); best epoch \(history.bestEpoch ?? 0), α \(history.bestAlpha)")
            return
        }
        let report = try evaluate(trainer: trainer, context: context, method: spec.options.ablation.finalFusion,
                                  parameters: FusionParameters(alpha: Float(history.bestAlpha)),
                                  users: context.evaluationUsers(spec.evaluationUsers, salt: 0x7E57), splits: finalSplits,
                                  communicator: world, showProgress: isRoot)
        try write { try report.write(to: directory) }
        log((finalSplits.contains(.test) ? "test: " : "valid: ") + report.table())
    }

    static func checkResume(_ stored: TrainingRunSpec, _ spec: TrainingRunSpec) throws {
        if stored.datasetFingerprint != spec.datasetFingerprint {
            throw HDRecTrainingError.resumeMismatch(field: "dataset", run: stored.datasetName, requested: spec.datasetName)
        }
        if stored.baseSHA256 != spec.baseSHA256 {
            throw HDRecTrainingError.resumeMismatch(field: "base sha256", run: stored.baseSHA256, requested: spec.baseSHA256)
        }
        if stored.network != spec.network {
            throw HDRecTrainingError.resumeMismatch(field: "network configuration", run: "\(stored.network)", requested: "\(spec.network)")
        }
        var a = stored.options, b = spec.options
        a.epochs = 0; b.epochs = 0   // more epochs may be asked for on resume
        if a != b || stored.prompt != spec.prompt || stored.maxUsers != spec.maxUsers {
            throw HDRecTrainingError.resumeMismatch(field: "training options", run: "\(stored.options)", requested: "\(spec.options)")
        }
    }

    /// Validation NDCG@10 of both passes and of text-dominant fusion over the α grid. Over several
    /// ranks, each ranks its share of the users (BatchSharding) and the per-user ranks are summed.
    static func validate(trainer: DLATrainer, context: TrainingContext, users: [Int], epoch: Int,
                         communicator: any Communicator = SingleProcessCommunicator()) throws -> EpochValidation {
        let sharded = communicator.size > 1
        var textRanks: [Int] = [], idRanks: [Int] = [], sasrecRanks: [Int] = []
        var fusedRanks = [[Int]](repeating: [], count: alphaGrid.count)
        let batch = 16
        let scorer = try HDRecScorer(passes: trainer.passScorer, dataset: context.dataset, fusion: .textDominant,
                                     parameters: FusionParameters(alpha: 0.5))
        let scored = sharded ? try BatchSharding.range(count: users.count, rank: communicator.rank, size: communicator.size)
                             : 0 ..< users.count
        if sharded {
            // Users before this rank's share rank 0 here; the all-reduce below adds the ranks that scored them.
            let before = scored.lowerBound
            textRanks = Array(repeating: 0, count: before); idRanks = textRanks
            fusedRanks = fusedRanks.map { _ in textRanks }
            if context.anchors != nil { sasrecRanks = textRanks }
        }
        for start in stride(from: scored.lowerBound, to: scored.upperBound, by: batch) {
            let chunk = Array(users[start ..< min(scored.upperBound, start + batch)])
            let rows = try scorer.passRows(users: chunk, split: .valid)
            var sasrecRows: Tensor<Float>? = nil
            if let anchors = context.anchors {
                let histories = chunk.map { Array(context.dataset.history($0, for: .valid)) }
                sasrecRows = context.network.anchorScores(try anchors.states(histories: histories, rows: histories.map { _ in 1 }),
                                                          rows: chunk.count)
            }
            for (k, u) in chunk.enumerated() {
                let target = context.dataset.valid(u)
                if let sasrecRows {
                    let n = context.dataset.numItems
                    sasrecRanks.append(rank(Array(UnsafeBufferPointer(start: sasrecRows.pointer + k * n, count: n)), target))
                }
                textRanks.append(rank(rows[k].text, target)); idRanks.append(rank(rows[k].id, target))
                for (a, alpha) in alphaGrid.enumerated() {
                    let fused = try Fusion.fuse(text: rows[k].text, id: rows[k].id, method: .textDominant,
                                                parameters: FusionParameters(alpha: Float(alpha)))
                    fusedRanks[a].append(rank(fused.final, target))
                }
            }
        }
        if sharded {
            // Pad to every user, then sum over the ranks: each user's rank comes from the one rank that scored it.
            let lists = [textRanks, idRanks, sasrecRanks] + fusedRanks
            let padded = lists.map { $0.isEmpty ? $0 : $0 + [Int](repeating: 0, count: users.count - $0.count) }
            var all = padded.flatMap { $0.map(Double.init) }
            try communicator.allReduceSum(&all)
            var at = 0
            let combined = padded.map { list -> [Int] in defer { at += list.count }; return all[at ..< at + list.count].map { Int($0) } }
            textRanks = combined[0]; idRanks = combined[1]; sasrecRanks = combined[2]
            fusedRanks = Array(combined[3...])
        }
        func ndcg(_ r: [Int]) -> Double { SplitResult(name: "valid", ranks: r).metric("NDCG@10") }
        let sweep = fusedRanks.map(ndcg)
        let bestIndex = sweep.indices.max { sweep[$0] < sweep[$1] } ?? 5
        var result = EpochValidation(epoch: epoch, alphaNDCG: sweep, textPassNDCG: ndcg(textRanks), idPassNDCG: ndcg(idRanks),
                                     bestAlpha: alphaGrid[bestIndex])
        if !sasrecRanks.isEmpty { result.sasrecNDCG = ndcg(sasrecRanks) }
        if context.spec.network.anchored { result.idGate = Double(try context.parameters.parameter(.idGate)[0]) }
        return result
    }

    /// Items scoring strictly higher than the target (ties count in the target's favour).
    static func rank(_ scores: [Float], _ target: Int) -> Int {
        let s = scores[target]
        var r = 0
        for v in scores where v > s { r += 1 }
        return r
    }

    /// Full-ranking evaluation of the trained network (eval mode) through the shared
    /// harness, with the scorer and fusion code `hdrec evaluate` and serving use.
    /// Over several ranks each scores its share of the users and all get the combined report
    /// (Sources/RecSys/Evaluation/ShardedEvaluation.swift).
    public static func evaluate(trainer: DLATrainer, context: TrainingContext, method: FusionMethod,
                                parameters: FusionParameters, users: [Int], splits: [Split],
                                communicator: any Communicator = SingleProcessCommunicator(),
                                showProgress: Bool = true) throws -> EvaluationReport {
        let scorer = try HDRecScorer(passes: trainer.passScorer, dataset: context.dataset, fusion: method, parameters: parameters)
        let options = EvaluationOptions(splits: splits, batchSize: 16, users: users, showProgress: showProgress)
        return try Evaluator.evaluate(dataset: context.dataset, scorer: scorer, options: options, communicator: communicator)
    }

    static func writeHistory(_ history: RunHistory, _ directory: String) throws {
        let encoder = JSONDocumentEncoder(sortedKeys: true)
        try AtomicFile.write(try encoder.encode(history), to: directory + "/history.json")
    }

    static func writePlots(_ history: RunHistory, _ directory: String) throws {
        var loss = SVGPlot(title: "HDRec training loss", xLabel: "step", yLabel: "cross-entropy (nats)")
        let text = history.losses.compactMap { l in l.textCE.map { (x: Double(l.step), y: $0) } }
        let id = history.losses.compactMap { l in l.idCE.map { (x: Double(l.step), y: $0) } }
        if !text.isEmpty { loss.series.append(.init(name: "text CE", points: text)) }
        if !id.isEmpty { loss.series.append(.init(name: "ID CE", points: id)) }
        try AtomicFile.write(loss.render(), to: directory + "/loss.svg")
        var alpha = SVGPlot(title: "Validation NDCG@10 against α (text-dominant fusion)", xLabel: "α", yLabel: "NDCG@10")
        for v in history.validations {
            alpha.series.append(.init(name: "epoch \(v.epoch)", points: zip(alphaGrid, v.alphaNDCG).map { (x: $0, y: $1) }))
        }
        try AtomicFile.write(alpha.render(), to: directory + "/alpha.svg")
    }
}
