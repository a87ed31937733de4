// A finished (or in-progress) training run opened for use: its spec with the data,
// base and SASRec paths resolved, its history (the chosen α), the training context
// with best.safetensors loaded, and the served form of the model, built exactly as a
// bundle exported from it would load (first L layers, trained norms, both adapters).
// `hdrec evaluate` and `hdrec export --run` start here.
//
// Paths in run.json are as `hdrec train` was given them, often relative to the
// directory it ran in. A relative path that does not exist from the current directory
// is looked up from the run directory and each of its ancestors; the dataset's
// fingerprint and the base's sha256 are then checked against run.json, so a run is
// never evaluated on other data or another base.
import Foundation
import JSON
import Kernels
import Llama
import HDRecInference
import RecSys
import Support

public final class TrainedRun {
    /// The salt of the reproducible user sample of the run's final evaluation
    /// (`--eval-users`; `TrainingRun.train` uses this value).
    public static let finalEvaluationSalt: UInt64 = 0x7E57

    public let directory: String
    /// run.json with resolved paths.
    public let spec: TrainingRunSpec
    public let history: RunHistory
    public let context: TrainingContext
    /// The checkpoint loaded into `context.parameters`.
    public let checkpointPath: String

    /// Opens the run in `directory` and loads `checkpoint` (default best.safetensors).
    public init(directory: String, checkpoint: String = "best.safetensors") throws {
        let dir = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        self.directory = dir
        let stored: TrainingRunSpec = try Self.decode(dir + "/run.json")
        history = try Self.decode(dir + "/history.json")
        var spec = stored
        spec.datasetPath = try Self.resolve(stored.datasetPath, field: "datasetPath", run: dir)
        spec.basePath = try Self.resolve(stored.basePath, field: "basePath", run: dir)
        spec.sasrecPath = try Self.resolve(stored.sasrecPath, field: "sasrecPath", run: dir)
        let sha = try SHA256.hex(ofFile: spec.basePath)
        guard sha == stored.baseSHA256.lowercased() else {
            throw HDRecTrainingError.runFile(path: dir + "/run.json", problem: "the base \(spec.basePath) has sha256 \(sha), the run was trained on \(stored.baseSHA256)")
        }
        self.spec = spec
        context = try TrainingContext(spec: spec)
        let fingerprint = DatasetFingerprint.of(context.dataset)
        guard fingerprint == stored.datasetFingerprint else {
            throw HDRecTrainingError.runFile(path: dir + "/run.json", problem: "the dataset \(spec.datasetPath) has fingerprint \(fingerprint), the run was trained on \(stored.datasetFingerprint)")
        }
        checkpointPath = dir + "/" + checkpoint
        guard FileManager.default.fileExists(atPath: checkpointPath) else {
            throw HDRecTrainingError.runFile(path: checkpointPath, problem: "missing (the run has not finished an epoch)")
        }
        _ = try Checkpoint.load(context.parameters.store, from: checkpointPath)
    }

    /// α chosen on validation (history.json `bestAlpha`).
    public var chosenAlpha: Float { Float(history.bestAlpha) }

    /// The users of the run's final evaluation for `count` (0 = all users), reproducible from the run's seed.
    public func evaluationUsers(_ count: Int) -> [Int] {
        context.evaluationUsers(count, salt: Self.finalEvaluationSalt)
    }

    /// The trained network in eval mode (f32 dequantized base), as validation sees it.
    public func trainingScorer() -> TrainedPassScorer {
        TrainedPassScorer(network: context.network, parameters: context.parameters, prompts: context.prompts, anchors: context.anchors)
    }

    /// The heads as a bundle exported from this run carries them (the factorized IPL with
    /// the item table the network computed at load, γ of the anchored ID pass).
    public func heads() throws -> HDRecHeads {
        try context.parameters.heads(itemTable: context.network.itemTable)
    }

    /// The SASRec model the anchored ID pass adds to (nil for a run without the anchor).
    public func anchor() throws -> SASRecAnchor? {
        guard let model = context.anchors?.model else { return nil }
        return try SASRecAnchor(model: model, itemCount: context.dataset.numItems, width: spec.network.sasrecWidth,
                                file: spec.sasrecPath)
    }

    /// The model as a bundle exported from this run serves it: the base GGUF (its own
    /// weight types) cut to the run's first L layers, trained norms in place, the two
    /// adapters, heads, SASRec table and (anchored ID pass) SASRec model, and the chosen α
    /// as the default.
    public func servingModel(pool: ThreadPool = .shared) throws -> HDRecModel {
        let layers = spec.network.layers
        let llama = try LlamaModel(path: spec.basePath, layers: layers)
        let heads = try heads()
        let model = try HDRecModel.decoderModel(base: llama, layers: layers, norms: heads.norms, headsPath: checkpointPath)
        let decoder = LlamaHDRecDecoder(model: model, textAdapter: try context.parameters.adapter(.text, base: model.config),
                                        idAdapter: try context.parameters.adapter(.id, base: model.config), pool: pool)
        return try HDRecModel(decoder: decoder, prompts: context.prompts, heads: heads, sasrec: context.sasrec,
                              fusionDefaults: BundleManifest.FusionDefaults(method: .textDominant, alpha: chosenAlpha),
                              anchor: try anchor())
    }

    private static func decode<T: Decodable>(_ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HDRecTrainingError.runFile(path: path, problem: "missing (not a training run directory?)")
        }
        do { return try JSONDocumentDecoder().decode(T.self, from: data) } catch {
            throw HDRecTrainingError.runFile(path: path, problem: "cannot be read: \(error)")
        }
    }

    /// `path` as given if it exists, else relative to the run directory or one of its ancestors.
    static func resolve(_ path: String, field: String, run: String) throws -> String {
        let fm = FileManager.default
        if path.hasPrefix("/") || fm.fileExists(atPath: path) {
            guard fm.fileExists(atPath: path) else {
                throw HDRecTrainingError.runFile(path: run + "/run.json", problem: "\(field) \(path) does not exist")
            }
            return path
        }
        var dir = URL(fileURLWithPath: run).standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(path).path
            if fm.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw HDRecTrainingError.runFile(path: run + "/run.json",
                                         problem: "\(field) \(path) is found neither from the current directory nor from the run directory or its parents")
    }
}
