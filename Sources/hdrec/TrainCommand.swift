// `hdrec train`: HDRec's dual-LoRA alternating training (paper Algorithm 1) on a
// prepared dataset, a GGUF base and a SASRec table. The work is in Training.TrainingRun.
import ArgumentParser
import Foundation
import Recommender
import RecSys
import Support
import Training

struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train HDRec's text and ID adapters with DLA and KL alignment (paper Algorithm 1).",
        discussion: """
        --profile cpu (default) makes an epoch of the bundled Scientific data practical on 2 cores: the first 4 decoder \
        layers, the last 8 history items, item chunks cut to 24 tokens, IPL and projector hidden 512, batch 8. \
        --profile paper holds Table 2's values (batch 10, lr 5e-5, 40 epochs, all layers, 30 items, 32-token chunks, hidden 2048).
        """)

    @Option(help: "Prepared dataset directory (hdrec prepare).") var data: String
    @Option(help: "Base decoder GGUF (Llama architecture).") var base: String
    @Option(help: "Directory holding sasrec.safetensors (hdrec sasrec).") var sasrec: String
    @Option(help: "Run directory.") var out: String
    @Option(help: "paper or cpu.") var profile: String = "cpu"
    @Option(help: "Epochs (profile default if omitted).") var epochs: Int?
    @Option(help: "Decoder layers used (the first L).") var layers: Int?
    @Option(name: .customLong("max-users"), help: "Train on a reproducible sample of N users.") var maxUsers: Int?
    @Option(name: .customLong("eval-users"), help: "Final evaluation on a reproducible sample of N users (0 = all).") var evalUsers: Int = 0
    @Option(name: .customLong("validation-users"), help: "Users sampled for per-epoch validation (0 = all).") var validationUsers: Int?
    @Option(name: .customLong("batch-size")) var batchSize: Int?
    @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Double?
    @Option(help: "none, no-dla, no-kl, text-only or id-only.") var ablation: String = "none"
    @Option(name: .customLong("kl-weight"), help: "λ of Eqs. 10 and 12.") var klWeight: Double?
    @Option(help: "T of Algorithm 1.") var alternations: Int?
    @Option(name: .customLong("loss-average"), help: "users (paper) or positions (public code).") var lossAverage: String = "users"
    @Flag(name: .customLong("train-norms"), help: "Also train the RMSNorm gains (the public code does).") var trainNorms = false
    @Option(name: .customLong("lora-dropout")) var loraDropout: Double?
    @Option(name: .customLong("ipl-hidden")) var iplHidden: Int?
    @Option(name: .customLong("projector-hidden")) var projectorHidden: Int?
    @Option(name: .customLong("max-items"), help: "History items kept (most recent).") var maxItems: Int?
    @Option(name: .customLong("max-chunk-tokens"), help: "Tokens per item text chunk.") var maxChunkTokens: Int?
    @Flag(name: .customLong("no-item-alignment"), help: "Leave out task 1 (item-text alignment samples in the text adapter's batches).") var noItemAlignment = false
    @Flag(name: .customLong("id-alignment"), help: "Add the public code's ID alignment task to the ID adapter's batches.") var idAlignment = false
    @Option(help: "IPL form: mlp (the paper's) or factorized (over SASRec and item-text embeddings).") var ipl: String?
    @Flag(name: .customLong("id-anchor"), help: "Anchor the ID pass at SASRec: z_id = s_u·E_sasᵀ + γ·IPL(h_id), γ from 0.") var idAnchor = false
    @Option(name: .customLong("lora-layers"), help: "LoRA on the top N layers only; the text prompts' activations below are computed once.") var loraLayers: Int?
    @Flag(name: .customLong("ridge-projector"), help: "Start the projector as a ridge map from SASRec rows to the items' mean token embeddings.") var ridgeProjector = false
    @Option(name: .customLong("ipl-dropout")) var iplDropout: Double?
    @Option(name: .customLong("kl-warmup"), help: "Fraction of the steps over which λ rises from 0.") var klWarmup: Double?
    @Option(name: .customLong("head-lr-multiplier"), help: "Heads' learning rate as a multiple of the adapters'.") var headLRMultiplier: Double?
    @Option(name: .customLong("final-eval"), help: "none, valid or test: the splits of the run's final evaluation (test touches test).") var finalEval: String = "test"
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Flag(help: "Continue the run in --out after checking data, base and configuration.") var resume = false

    func run() async throws {
        guard let ab = Ablation(rawValue: ablation) else { throw ValidationError("--ablation must be one of none, no-dla, no-kl, text-only, id-only; found '\(ablation)'") }
        guard let avg = LossAverage(rawValue: lossAverage) else { throw ValidationError("--loss-average must be users or positions; found '\(lossAverage)'") }
        let paper = profile == "paper"
        guard paper || profile == "cpu" else { throw ValidationError("--profile must be paper or cpu; found '\(profile)'") }
        var options = paper ? TrainingOptions.paper : TrainingOptions.cpu
        options.ablation = ab
        options.lossAverage = avg
        options.seed = seed
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        if let learningRate { options.learningRate = learningRate }
        if let klWeight { options.klWeight = klWeight }
        if ab == .noKL { options.klWeight = 0 }
        if let alternations { options.alternations = alternations }
        if let validationUsers { options.validationUsers = validationUsers }
        options.itemAlignment = !noItemAlignment
        options.idAlignment = idAlignment

        let gguf = try ModelFilesBridge.blockCount(base)
        var network = HDRecNetworkConfig(layers: layers ?? (paper ? gguf : min(4, gguf)),
                                         projectorHidden: projectorHidden ?? (paper ? 2048 : 512),
                                         iplHidden: iplHidden ?? (paper ? 2048 : 512))
        network.trainNorms = trainNorms
        if let loraDropout { network.loraDropout = loraDropout }
        if let ipl {
            guard let kind = IPLKind(rawValue: ipl) else { throw ValidationError("--ipl must be mlp or factorized; found '\(ipl)'") }
            network.iplKind = kind == .mlp ? nil : kind
        }
        if idAnchor { network.idAnchor = true }
        if let loraLayers {
            guard loraLayers >= 1, loraLayers <= network.layers else { throw ValidationError("--lora-layers must be in 1...\(network.layers); found \(loraLayers)") }
            network.loraLayers = loraLayers == network.layers ? nil : loraLayers
        }
        if ridgeProjector { network.ridgeProjector = true }
        if let iplDropout { network.iplDropout = iplDropout }
        if let klWarmup { options.klWarmupFraction = klWarmup }
        if let headLRMultiplier { options.headLearningRateMultiplier = headLRMultiplier }
        let finalSplits: [Split]
        switch finalEval {
        case "none": finalSplits = []
        case "valid": finalSplits = [.valid]
        case "test": finalSplits = [.valid, .test]
        default: throw ValidationError("--final-eval must be none, valid or test; found '\(finalEval)'")
        }
        var prompt = PromptConfiguration()
        prompt.maxItems = maxItems ?? (paper ? 30 : 8)
        prompt.maxAttributeTokens = maxChunkTokens ?? (paper ? 32 : 24)

        let dataset = try DatasetStore.load(data)
        let sasrecPath = sasrec.hasSuffix(".safetensors") ? sasrec : sasrec + "/sasrec.safetensors"
        let spec = TrainingRunSpec(
            datasetPath: data, datasetName: dataset.name, datasetFingerprint: DatasetFingerprint.of(dataset),
            basePath: base, baseSHA256: try SHA256.hex(ofFile: base), sasrecPath: sasrecPath, network: network,
            options: options, prompt: prompt, maxUsers: maxUsers, evaluationUsers: evalUsers,
            command: (["hdrec"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        try TrainingRun.train(spec: spec, directory: out, resume: resume, finalSplits: finalSplits)
    }
}
