// `hdrec evaluate --bundle DIR --data DIR [--base GGUF]`: a bundle scored exactly as
// hdrec-server serves it: HDRecModel.load (hashes, the first base.layers blocks, trained
// norms, both adapters, heads, the anchored ID pass's SASRec), then ModelEvaluation, the
// code path `--run` takes. The dataset must be the bundle's: its items, in IPL order, are
// the catalog's. `--fusion sasrec` scores the bundle's own sasrec_model.safetensors, so a
// comparison uses the SASRec the bundle was trained against.
//
// Users: all, or N drawn by EvaluationSample with a seed (by default the one the manifest
// records from training, so a bundle exported from a run with --eval-users N draws that
// run's final-evaluation sample); the seed is written to evaluation.json.
import Foundation
import Kernels
import Quant
import HDRecInference
import RecSys
import TrainingOps

public enum BundleEvaluation {
    /// The bundle's served model over the dataset in `dataPath`, with the bundle's fusion
    /// defaults (α, τ, ε). `seed` nil: the manifest's `hyperparameters.seed`, else 0.
    public static func subject(bundle: String, dataPath: String, basePath: String?, seed: UInt64? = nil,
                               pool: ThreadPool = .shared, activations: ActivationPrecision = .f32) throws -> EvaluationSubject {
        let loaded = try HDRecModel.load(bundle: bundle, basePath: basePath, pool: pool, activations: activations)
        let dataset = try DatasetStore.load(dataPath)
        try checkItems(catalog: loaded.contents.catalog, dataset: dataset)
        let manifest = loaded.contents.manifest
        let sampleSeed = seed ?? manifestSeed(manifest) ?? 0
        let salt = TrainedRun.finalEvaluationSalt
        let userCount = dataset.numUsers
        return EvaluationSubject(
            model: loaded.model, dataset: dataset, sasrec: loaded.contents.sasrecModel?.model,
            defaultParameters: manifest.fusion.parameters, defaultFusion: manifest.fusion.method, defaultRoot: nil,
            users: { EvaluationSample.users(count: $0, userCount: userCount, seed: sampleSeed, salt: salt) },
            source: EvaluationSource(run: nil, checkpoint: nil, bundle: loaded.contents.directory, data: dataPath,
                                     decoderLayers: manifest.base.layers, trainedNorms: !loaded.contents.heads.norms.isEmpty,
                                     base: loaded.contents.basePath ?? manifest.base.fileName,
                                     userSample: "EvaluationSample (seed \(sampleSeed), salt 0x" + String(salt, radix: 16, uppercase: true) + ")",
                                     userSampleSeed: sampleSeed, userSampleSalt: salt))
    }

    /// The training seed a manifest records (`hyperparameters.seed`), if it is a whole number.
    static func manifestSeed(_ m: BundleManifest) -> UInt64? {
        guard case let .number(v)? = m.hyperparameters["seed"], v >= 0, v == v.rounded(), v < 1.8e19 else { return nil }
        return UInt64(v)
    }

    /// The IPL scores catalog line n as item n, and the harness ranks dataset item n: they must be one item.
    static func checkItems(catalog: Catalog, dataset: Dataset) throws {
        guard catalog.count == dataset.numItems else {
            throw HDRecInferenceError.inconsistent(field: "dataset items vs the bundle's catalog", expected: "\(catalog.count)",
                                                found: "\(dataset.numItems)")
        }
        for (n, item) in dataset.items.enumerated() where catalog.items[n].id != item.id {
            throw HDRecInferenceError.inconsistent(field: "dataset item \(n) vs catalog.jsonl line \(n + 1) (the IPL's order)",
                                                expected: catalog.items[n].id, found: item.id)
        }
    }
}

/// A reproducible sample of users: the first `count` of a seeded shuffle of all users,
/// sorted (0 or count ≥ all: every user). The rule of a run's final-evaluation sample
/// (TrainingContext.evaluationUsers), so equal seeds and salts give equal samples, and the
/// sample of N users is contained in that of any larger N.
public enum EvaluationSample {
    public static func users(count: Int, userCount: Int, seed: UInt64, salt: UInt64) -> [Int] {
        var users = Array(0 ..< userCount)
        guard count > 0, count < users.count else { return users }
        var rng = TrainingRNG(seed: seed ^ salt)
        users.shuffle(using: &rng)
        return Array(users.prefix(count)).sorted()
    }
}
