// `hdrec train`: HDRec's dual-LoRA alternating training (paper Algorithm 1) on a
// prepared dataset, a GGUF base and a SASRec checkpoint. The settings come from a recipe
// (an embedded one by --profile, or --config FILE), then single flags override it; the
// work is in Training.TrainingRun. Under `mpirun -np N` it trains data-parallel: every rank
// computes its shard of each global batch, the gradients are all-reduced, rank 0 writes the run
// (docs/scaling.md); without mpirun it is one process, as before.
import ArgumentParser
import Distributed
import Foundation
import HDRecInference
import RecSys
import Support
import Training

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train HDRec's text and ID adapters with DLA and KL alignment (paper Algorithm 1).",
        discussion: """
        Settings come from a recipe (Recipes/*.json, embedded in the binary): --profile default (the shipped \
        recipe), cpu (the earlier 4-layer settings) or paper (Table 2 for Scientific; paper-games for Games), or \
        --config FILE. Any flag below overrides the recipe's value. The resolved recipe is saved as RUN/recipe.json.
        """)

    @Option(help: "Prepared dataset directory (hdrec prepare).") var data: String
    @Option(help: "Base decoder GGUF (general.architecture llama or qwen2).") var base: String
    @Option(help: "Directory holding sasrec.safetensors (hdrec sasrec).") var sasrec: String
    @Option(help: "Run directory.") var out: String
    @Option(help: "An embedded recipe: default, cpu, paper or paper-games.") var profile: String?
    @Option(help: "A recipe file (JSON, the keys of Recipes/default.json); instead of --profile.") var config: String?
    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Decoder layers used (the first L).") var layers: Int?
    @Option(name: .customLong("max-users"), help: "Train on a reproducible sample of N users.") var maxUsers: Int?
    @Option(name: .customLong("eval-users"), help: "Final evaluation on a reproducible sample of N users (0 = all).") var evalUsers: Int = 0
    @Option(name: .customLong("validation-users"), help: "Users sampled for per-epoch validation (0 = all).") var validationUsers: Int?
    @Option(name: .customLong("batch-size")) var batchSize: Int?
    @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Double?
    @Option(help: "none, no-dla, no-kl, text-only or id-only.") var ablation: String = "none"
    @Option(name: .customLong("kl-weight"), help: "λ of Eqs. 10 and 12.") var klWeight: Double?
    @Option(help: "T of Algorithm 1.") var alternations: Int?
    @Option(name: .customLong("loss-average"), help: "users (paper) or positions (public code).") var lossAverage: String?
    @Flag(name: .customLong("train-norms"), help: "Also train the RMSNorm gains (the public code does).") var trainNorms = false
    @Option(name: .customLong("lora-dropout")) var loraDropout: Double?
    @Option(name: .customLong("ipl-hidden")) var iplHidden: Int?
    @Option(name: .customLong("projector-hidden")) var projectorHidden: Int?
    @Option(name: .customLong("max-items"), help: "History items kept (most recent).") var maxItems: Int?
    @Option(name: .customLong("max-chunk-tokens"), help: "Tokens per item text chunk.") var maxChunkTokens: Int?
    @Flag(name: .customLong("no-item-alignment"), help: "Leave out task 1 (item-text alignment samples in the text adapter's batches).") var noItemAlignment = false
    @Flag(name: .customLong("id-alignment"), help: "Add the public code's ID alignment task to the ID adapter's batches.") var idAlignment = false
    @Option(help: "IPL form: mlp (the paper's) or factorized (over SASRec and item-text embeddings).") var ipl: String?
    @Option(name: .customLong("id-anchor"), help: "true/false: anchor the ID pass at SASRec, z_id = s_u·E_sasᵀ + γ·IPL(h_id), γ from 0.") var idAnchor: Bool?
    @Option(name: .customLong("lora-layers"), help: "LoRA on the top N layers only; the text prompts' activations below are computed once.") var loraLayers: Int?
    @Option(name: .customLong("ridge-projector"), help: "true/false: start the projector as a ridge map from SASRec rows to the items' mean token embeddings.") var ridgeProjector: Bool?
    @Option(name: .customLong("sasrec-probe"), help: "true/false: start the factorized head's SASRec block as a ridge probe of SASRec from the frozen read state.") var sasrecProbe: Bool?
    @Option(name: .customLong("ipl-dropout")) var iplDropout: Double?
    @Option(name: .customLong("kl-warmup"), help: "Fraction of the steps over which λ rises from 0.") var klWarmup: Double?
    @Option(name: .customLong("id-phase-kl"), help: "true/false: the ID phase also learns from the text pass (the paper's symmetric KL).") var idPhaseKL: Bool?
    @Option(name: .customLong("head-lr-multiplier"), help: "Heads' learning rate as a multiple of the adapters'.") var headLRMultiplier: Double?
    @Option(help: "Serve this α instead of validation's choice.") var alpha: Double?
    @Option(name: .customLong("final-eval"), help: "none, valid or test: the splits of the run's final evaluation (only test touches test).") var finalEval: String = "test"
    @Option(help: "Random seed.") var seed: UInt64?
    @Flag(help: "Continue the run in --out after checking data, base and configuration.") var resume = false
    @Option(name: .customLong("max-steps"), help: "Stop after N optimisation steps in all (checkpoint written; validation and final evaluation skipped).") var maxSteps: Int?
    @Option(name: .customLong("drift-check-every"), help: "Under mpirun: check every N steps that all ranks hold identical parameters (0: only at the start and each epoch's end).") var driftCheckEvery: Int = 50
    @Option(name: .customLong("micro-shards"), help: "Cut each batch into N micro-shards, whose gradients are summed in Double: the same N at any number of ranks gives the same parameters; at most N ranks have work.") var microShards: Int = TrainingExecution.defaultMicroShards

    func run() async throws {
        guard let ab = Ablation(rawValue: ablation) else { throw ValidationError("--ablation must be one of none, no-dla, no-kl, text-only, id-only; found '\(ablation)'") }
        let finalSplits: [Split]
        switch finalEval {
        case "none": finalSplits = []
        case "valid": finalSplits = [.valid]
        case "test": finalSplits = [.valid, .test]
        default: throw ValidationError("--final-eval must be none, valid or test; found '\(finalEval)'")
        }
        guard profile == nil || config == nil else { throw ValidationError("give --profile or --config, not both") }
        var recipe: TrainingRecipe
        if let config {
            guard let bytes = FileManager.default.contents(atPath: config) else { throw ValidationError("--config \(config): cannot read the file") }
            recipe = try TrainingRecipe.decode(bytes, source: config)
        } else {
            recipe = try TrainingRecipe.named(profile ?? "default")
        }
        try applyOverrides(&recipe)
        try recipe.validate(source: "the recipe after command-line overrides")

        let baseLayers = try BaseInfo.layerCount(ofGGUF: base)
        let network = recipe.network(baseLayers: baseLayers)
        _ = try network.targetSet()
        let options = recipe.options(ablation: ab)
        let dataset = try DatasetStore.load(data)
        let sasrecPath = sasrec.hasSuffix(".safetensors") ? sasrec : sasrec + "/sasrec.safetensors"
        var spec = TrainingRunSpec(
            datasetPath: data, datasetName: dataset.name, datasetFingerprint: DatasetFingerprint.of(dataset),
            basePath: base, baseSHA256: try SHA256.hex(ofFile: base), sasrecPath: sasrecPath, network: network,
            options: options, prompt: recipe.prompt(), maxUsers: maxUsers, evaluationUsers: evalUsers,
            command: (["hdrec"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        spec.recipe = recipe
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1; found \(maxSteps)") }
        guard driftCheckEvery >= 0 else { throw ValidationError("--drift-check-every must be 0 or more; found \(driftCheckEvery)") }
        guard microShards >= 1 else { throw ValidationError("--micro-shards must be at least 1; found \(microShards)") }
        try DistributedWorld.run { world in
            let execution = TrainingExecution(communicator: world, maxSteps: maxSteps, driftCheckEvery: driftCheckEvery,
                                              microShards: microShards)
            try TrainingRun.train(spec: spec, directory: out, resume: resume, finalSplits: finalSplits, execution: execution)
        }
    }

    private func applyOverrides(_ r: inout TrainingRecipe) throws {
        if let epochs { r.epochs = epochs }
        if let layers { r.layers = layers }
        if let validationUsers { r.validationUsers = validationUsers }
        if let batchSize { r.batchSize = batchSize }
        if let learningRate { r.learningRate = learningRate }
        if let klWeight { r.klWeight = klWeight }
        if let alternations { r.alternations = alternations }
        if let lossAverage {
            guard let avg = LossAverage(rawValue: lossAverage) else { throw ValidationError("--loss-average must be users or positions; found '\(lossAverage)'") }
            r.lossAverage = avg
        }
        if trainNorms { r.trainNorms = true }
        if let loraDropout { r.loraDropout = loraDropout }
        if let iplHidden { r.iplHidden = iplHidden }
        if let projectorHidden { r.projectorHidden = projectorHidden }
        if let maxItems { r.maxItems = maxItems }
        if let maxChunkTokens { r.maxChunkTokens = maxChunkTokens }
        if noItemAlignment { r.itemAlignment = false }
        if idAlignment { r.idAlignment = true }
        if let ipl {
            guard let kind = IPLKind(rawValue: ipl) else { throw ValidationError("--ipl must be mlp or factorized; found '\(ipl)'") }
            r.ipl = kind
        }
        if let idAnchor { r.idAnchor = idAnchor }
        if let loraLayers { r.loraLayers = loraLayers }
        if let ridgeProjector { r.ridgeProjector = ridgeProjector }
        if let sasrecProbe { r.sasrecProbe = sasrecProbe }
        if let iplDropout { r.iplDropout = iplDropout }
        if let klWarmup { r.klWarmupFraction = klWarmup }
        if let headLRMultiplier { r.headLearningRateMultiplier = headLRMultiplier }
        if let idPhaseKL { r.idPhaseKL = idPhaseKL }
        if let alpha { r.alpha = alpha }
        if let seed { r.seed = seed }
    }
}
