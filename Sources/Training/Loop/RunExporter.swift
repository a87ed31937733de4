// `hdrec export --run RUN_DIR --out BUNDLE`: the trained run's best parameters as
// the bundle the server loads (docs/bundle.md), written to a temporary directory
// beside BUNDLE and renamed into place (StagedDirectory), so a failed or killed export
// never leaves a partial one.
// The run's SASRec checkpoint goes in as sasrec_model.safetensors (the anchored ID pass
// needs it; `hdrec evaluate --bundle --fusion sasrec` compares against that same SASRec).
import Foundation
import JSON
import ModelFiles
import HDRecInference
import RecSys
import Support

public enum RunExporter {
    /// - Parameters:
    ///   - tensorDType: how the bundle stores float tensors (F32, or F16 for a bundle small enough to commit).
    ///   - slimCatalog: keep only each item's id, title and the attributes the prompts read in
    ///     catalog.jsonl (descriptions are most of its size and unused by the default prompts).
    ///   - replace: replace a non-empty `out` (`--force`); without it one is refused.
    public static func export(run directory: String, to out: String, copyBase: Bool, command: String,
                              tensorDType: SafetensorsDType = .f32, slimCatalog: Bool = false, replace: Bool = false) throws {
        // Resolves run.json's paths, checks the data and base, loads best.safetensors.
        let run = try TrainedRun(directory: directory)
        try StagedDirectory.publish(to: out, replace: replace) { staging in
            try write(run, directory: directory, to: staging, copyBase: copyBase, command: command, tensorDType: tensorDType,
                      slimCatalog: slimCatalog)
        }
    }

    /// Writes the bundle of `run` into the (staging) directory `staging`.
    private static func write(_ run: TrainedRun, directory: String, to staging: String, copyBase: Bool, command: String,
                              tensorDType: SafetensorsDType, slimCatalog: Bool) throws {
        let spec = run.spec, history = run.history, context = run.context
        let fm = FileManager.default
        // The PEFT sources inside the staging directory, so a killed export leaves them
        // only where the next export cleans up.
        let adapters = staging + "/.adapters-src"
        try fm.createDirectory(atPath: adapters, withIntermediateDirectories: true)
        let baseConfig = context.network.base.config
        for branch in AdapterRole.allCases {
            try context.parameters.adapter(branch, base: baseConfig)
                .writePEFT(to: adapters + "/" + branch.rawValue, baseModelName: (spec.basePath as NSString).lastPathComponent)
        }
        var catalog = context.catalog
        if slimCatalog {
            let keep = Set(spec.prompt.attributes)
            catalog = try Catalog(items: catalog.items.map { item in
                CatalogItem(id: item.id, title: item.title, brand: keep.contains(.brand) ? item.brand : nil,
                            categories: keep.contains(.categories) ? item.categories : nil,
                            description: keep.contains(.description) ? item.description : nil)
            })
        }
        let sources = BundleSources(heads: try run.heads(), sasrec: context.sasrec, catalog: catalog,
                                    textAdapterDirectory: adapters + "/text", idAdapterDirectory: adapters + "/id",
                                    basePath: spec.basePath, copyBase: copyBase, baseLayers: spec.network.layers,
                                    tensorDType: tensorDType,
                                    sasrecModelPath: try Self.isFullSASRec(spec.sasrecPath) ? spec.sasrecPath : nil)
        var metrics: [String: [String: Double]] = [:]
        if let bytes = FileManager.default.contents(atPath: directory + "/metrics.json"),
           let parsed = Self.metricTable(try? JSONValue.parse([UInt8](bytes))) {
            metrics = parsed
        } else if history.bestNDCG >= 0 {
            // No final evaluation (an interrupted or probe run): the best epoch's validation NDCG@10 at its α.
            metrics = ["valid": ["NDCG@10": history.bestNDCG]]
        }
        let o = spec.options
        var hyper: [String: ManifestValue] = [
            "profile": .string(o.profile), "epochs": .number(Double(o.epochs)), "batch_size": .number(Double(o.batchSize)),
            "learning_rate": .number(o.learningRate), "weight_decay": .number(o.weightDecay),
            "kl_weight": .number(o.klWeight), "kl_temperature": .number(o.klTemperature),
            "alternations": .number(Double(o.alternations)), "ablation": .string(o.ablation.rawValue),
            "loss_average": .string(o.lossAverage.rawValue), "seed": .number(Double(o.seed)),
            "lora_rank": .number(Double(spec.network.loraRank)), "lora_alpha": .number(spec.network.loraAlpha),
            "lora_dropout": .number(spec.network.loraDropout), "lora_targets": .string(spec.network.loraTargets.joined(separator: ",")),
            "projector_hidden": .number(Double(spec.network.projectorHidden)), "ipl_hidden": .number(Double(spec.network.iplHidden)),
            "ipl_dropout": .number(spec.network.iplDropout), "train_norms": .bool(spec.network.trainNorms),
            "ipl_kind": .string((spec.network.iplKind ?? .mlp).rawValue), "id_anchor": .bool(spec.network.idAnchor == true),
            "lora_layers": .number(Double(spec.network.layers - spec.network.firstLoRALayer)),
            "train_users": .number(Double(spec.maxUsers ?? context.dataset.numUsers)),
            "best_epoch": .number(Double(history.bestEpoch ?? 0)),
            "training_command": .string(spec.command),
            "kl_warmup_fraction": .number(o.klWarmupFraction ?? 0), "id_phase_kl": .bool(o.idPhaseKL != false),
            "head_lr_multiplier": .number(o.headLearningRateMultiplier ?? 1),
            "ridge_projector": .bool(spec.network.ridgeProjector == true), "sasrec_probe": .bool(spec.network.sasrecProbe == true),
            "max_items": .number(Double(spec.prompt.maxItems)), "max_chunk_tokens": .number(Double(spec.prompt.maxAttributeTokens)),
            "validation_users": .number(Double(o.validationUsers)), "warmup_fraction": .number(o.warmupFraction),
            "clip_norm": .number(o.clipNorm), "item_alignment": .bool(o.itemAlignment), "id_alignment": .bool(o.idAlignment),
        ]
        // The resolved recipe, whole (every option the run was configured with).
        if let recipe = spec.recipe {
            hyper["recipe"] = try JSONDocumentDecoder().decode(ManifestValue.self, from: try recipe.json())
        }
        _ = try BundleWriter.write(
            to: staging, sources: sources,
            dataset: BundleManifest.DatasetInfo(name: spec.datasetName, itemCount: context.dataset.numItems,
                                                userCount: context.dataset.numUsers, sha256: spec.datasetFingerprint),
            prompt: spec.prompt, fusion: BundleManifest.FusionDefaults(method: .textDominant, alpha: Float(history.bestAlpha)),
            hyperparameters: hyper, metrics: metrics, command: command)
        try fm.removeItem(atPath: adapters)
    }

    /// Whether the run's SASRec file is the whole checkpoint `hdrec sasrec` writes (it then
    /// goes into the bundle as sasrec_model.safetensors) rather than a bare item table, which
    /// is all an MLP run without the anchor needs.
    static func isFullSASRec(_ path: String) throws -> Bool {
        let file = try SafetensorsFile(path: path)
        return file.tensorNames.contains { $0 != SASRecTable.tensorName }
    }

    /// metrics.json's {split: {metric: value}} (EvaluationReport writes it), or nil when
    /// `json` is absent or not that shape.
    static func metricTable(_ json: JSONValue?) -> [String: [String: Double]]? {
        guard let splits = json?.objectValue else { return nil }
        var table: [String: [String: Double]] = [:]
        for split in splits {
            guard let metrics = split.value.objectValue else { return nil }
            var row: [String: Double] = [:]
            for m in metrics {
                guard let value = m.value.doubleValue else { return nil }
                row[m.key] = value
            }
            table[split.key] = row
        }
        return table
    }
}
