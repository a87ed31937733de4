// A run with the factorized IPL, the SASRec-anchored ID pass and LoRA on the top 2 of 3
// layers (stories260K, a few DLA steps) is served exactly as trained: the exported
// format-2 bundle (factorized heads, γ, sasrec_model.safetensors, PEFT adapters with
// layers_to_transform) loaded as the server loads it gives the training network's
// eval-mode pass logits; `hdrec evaluate --bundle` reproduces `--run` user for user, and
// its `sasrec` method is RecSys's SASRecScorer on the same checkpoint and users.
import Foundation
import Llama
import ModelFiles
import HDRecInference
import RecSys
import Support
import Testing
@testable import Training
import TrainingOps

/// A tiny dataset, a full SASRec checkpoint and a trained factorized + anchored run.
private final class AnchoredRun {
    let root: String
    let runDir: String
    let basePath: String
    let sasrec: SASRecModel<Float>
    static let layers = 3, loraLayers = 2, width = 16, items = 8

    init() throws {
        root = NSTemporaryDirectory() + "hdrec-anchored-run-\(UUID().uuidString)"
        runDir = root + "/run"
        basePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/stories260K/stories260K.gguf").path
        let titles = ["red ball", "big dog", "little cat", "blue car", "happy bird", "tall tree", "green frog", "old boat"]
        let items = titles.enumerated().map { Item(id: "i\($0.offset)", title: $0.element, brand: $0.offset % 3 == 0 ? "" : "toy") }
        var rng = TrainingRNG(seed: 5)
        let sequences = (0 ..< 12).map { u in (0 ..< 4 + u % 4).map { _ in Int(rng.next() % UInt64(titles.count)) } }
        let dataset = try Dataset(name: "tiny", items: items, userIDs: (0 ..< 12).map { "u\($0)" }, sequences: sequences)
        try DatasetStore.write(dataset, manifest: DatasetManifest(sourceFormat: "synthetic", sources: [], options: PrepareOptions(), kcoreRounds: 0),
                               to: root + "/data")
        var config = SASRecConfig()
        config.hidden = Self.width
        config.blocks = 1
        config.heads = 2
        config.inner = 32
        config.maxLength = 4    // shorter than the longest histories: the anchor must truncate as SASRec does
        config.initStd = 0.5
        config.seed = 11
        sasrec = SASRecModel(config: config, numItems: Self.items)
        try SASRecExport.write(sasrec, to: root + "/sasrec.safetensors")
        var network = HDRecNetworkConfig(layers: Self.layers, projectorHidden: 16, iplHidden: 16)
        network.sasrecWidth = Self.width
        network.iplKind = .factorized
        network.idAnchor = true
        network.loraLayers = Self.loraLayers
        var options = TrainingOptions.cpu
        options.batchSize = 4
        options.learningRate = 2e-2   // large, so that γ, LoRA B and the heads move visibly in a few steps
        options.warmupFraction = 0
        options.validationUsers = 0
        var prompt = PromptConfiguration()
        prompt.maxAttributeTokens = 8
        prompt.maxItems = 4
        let spec = TrainingRunSpec(datasetPath: root + "/data", datasetName: "tiny", datasetFingerprint: DatasetFingerprint.of(dataset),
                                   basePath: basePath, baseSHA256: try SHA256.hex(ofFile: basePath), sasrecPath: root + "/sasrec.safetensors",
                                   network: network, options: options, prompt: prompt, maxUsers: nil,
                                   evaluationUsers: 6, command: "AnchoredServingTests")
        try TrainingRun.train(spec: spec, directory: runDir, resume: false, log: { _ in })
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

/// max |a − b| / max(1, |b|) over two rows.
private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .infinity
}

@Suite("Serving a factorized, SASRec-anchored run exactly as trained (stories260K)", .serialized)
struct AnchoredServingTests {
    /// ServingAgreementTests' tolerance: f32 summation orders only (the base is f32).
    static let tolerance: Float = 1e-4

    @Test("the exported format-2 bundle serves the training network's eval-mode text and ID passes")
    func exportedBundleMatchesTraining() throws {
        let run = try AnchoredRun()
        let bundle = run.root + "/bundle"
        try RunExporter.export(run: run.runDir, to: bundle, copyBase: false, command: "test")
        let loaded = try HDRecModel.load(bundle: bundle, basePath: run.basePath)
        let manifest = loaded.contents.manifest
        #expect(manifest.formatVersion == 2 && manifest.files[BundleLayout.sasrecModel] != nil)
        #expect(manifest.dimensions.iplForm == .factorized && manifest.dimensions.idAnchor == true)
        let trained = try TrainedRun(directory: run.runDir)
        let gate = try trained.context.parameters.parameter(.idGate)[0]
        #expect(loaded.model.heads.idGate == gate)
        #expect(abs(gate) > 1e-3, "γ moved away from 0 (γ = \(gate))")
        // The bundle's checkpoint is the run's SASRec, and its table is the network's.
        #expect(loaded.contents.sasrecModel?.model.parameters == run.sasrec.parameters)
        #expect(loaded.model.heads.tensors().first { $0.name == HeadsTensorName.iplItems }?.values == trained.context.network.itemTable?.array)

        // LoRA on the top 2 layers only: PEFT's layers_to_transform says so, and the loader reads exactly those pairs.
        for branch in AdapterRole.allCases {
            let dir = bundle + "/adapters/" + branch.rawValue
            let config = try PEFTAdapterConfig(json: String(contentsOfFile: dir + "/adapter_config.json", encoding: .utf8))
            #expect(try config.layersToTransform() == [1, 2], "\(branch)")
            let served = try LoRAAdapter.load(path: dir, name: branch.rawValue, base: loaded.base.config)
            let trainedAdapter = try trained.context.parameters.adapter(branch, base: trained.context.network.base.config)
            #expect(Set(served.pairs.keys) == Set(trainedAdapter.pairs.keys))
            #expect(Set(served.pairs.keys.map(\.layer)) == [1, 2])
        }

        let dataset = trained.context.dataset
        let histories = (0 ..< 6).map { Array(dataset.history($0, for: .test)) }
        #expect(histories.contains { $0.count > 4 }, "some history is longer than SASRec's window")
        let reference = try trained.trainingScorer().passScores(histories: histories)
        let viaRun = try trained.servingModel().passScores(histories: histories)
        for round in 0 ..< 2 {   // the second round reuses the prefix cache: every block but each prompt's tail
            let s = try loaded.model.passScores(histories: histories)
            if round == 0 {
                let worst = histories.indices.map { max(relativeError(s.text[$0], reference.text[$0]), relativeError(s.id[$0], reference.id[$0])) }.max() ?? 0
                print("anchored bundle vs training logits: max relative error \(worst) (tolerance \(Self.tolerance))")
            }
            for b in histories.indices {
                #expect(relativeError(s.text[b], reference.text[b]) < Self.tolerance, "text pass, user \(b)")
                #expect(relativeError(s.id[b], reference.id[b]) < Self.tolerance, "ID pass, user \(b)")
                if round == 0 {
                    #expect(s.id[b] == viaRun.id[b] && s.text[b] == viaRun.text[b], "bundle = the run's served model, user \(b)")
                } else {
                    // Cached keys and values came from a forward over longer row blocks: equal within 1e-4.
                    let worst = zip(s.text[b] + s.id[b], viaRun.text[b] + viaRun.id[b]).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst < 1e-4, "bundle (prefix-cached) = the run's served model, user \(b): \(worst)")
                }
            }
        }
        // Teeth: SASRec alone (γ dropped) and the unanchored IPL both miss the trained ID pass by far more than the tolerance.
        let sasrecAlone = try loaded.contents.sasrecModel!.scores(histories: histories)
        let h = loaded.model.heads
        let unanchored = try HDRecModel(decoder: loaded.model.decoder, prompts: loaded.model.prompts,
                                        heads: try HDRecHeads(dimensions: { var d = h.dimensions; d.idAnchor = nil; return d }(),
                                                              projector: h.projector, ipl: h.ipl, seqEmbedding: h.seqEmbedding,
                                                              alignEmbedding: h.alignEmbedding, norms: h.norms),
                                        sasrec: loaded.contents.sasrec, fusionDefaults: manifest.fusion).passScores(histories: histories)
        for b in histories.indices {
            #expect(relativeError(sasrecAlone[b], reference.id[b]) > 10 * Self.tolerance, "user \(b)")
            #expect(relativeError(unanchored.id[b], reference.id[b]) > 100 * Self.tolerance, "user \(b)")
        }
    }

    @Test("evaluate --bundle reproduces evaluate --run user for user; its sasrec method is SASRecScorer on the same users")
    func evaluateBundleMatchesRun() throws {
        let run = try AnchoredRun()
        let bundle = run.root + "/bundle"
        try RunExporter.export(run: run.runDir, to: bundle, copyBase: false, command: "test")
        let trained = try TrainedRun(directory: run.runDir)
        var options = RunEvaluationOptions()
        options.users = 6
        options.showProgress = false
        options.out = run.root + "/eval-run"
        let viaRun = try RunEvaluation.evaluate(trained, options: options, methods: [.fusion(.textDominant), .fusion(.idPass), .sasrec])
        options.out = run.root + "/eval-bundle"
        let subject = try BundleEvaluation.subject(bundle: bundle, dataPath: run.root + "/data", basePath: run.basePath)
        #expect(subject.defaultParameters.alpha == trained.chosenAlpha)
        let viaBundle = try ModelEvaluation.evaluate(subject, options: options, methods: [.fusion(.textDominant), .fusion(.idPass), .sasrec])
        #expect(viaBundle.map(\.method) == [.fusion(.textDominant), .fusion(.idPass), .sasrec])
        #expect(viaBundle[2].directory == run.root + "/eval-bundle/sasrec")
        for (a, b) in zip(viaRun, viaBundle) {
            let ra = try EvaluationReport.loadRanks(path: a.directory + "/ranks.tsv")
            let rb = try EvaluationReport.loadRanks(path: b.directory + "/ranks.tsv")
            #expect(ra == rb, "\(a.method.name): the same users, splits and ranks")
            #expect(rb.values.allSatisfy { $0.count == 6 })
        }
        // The manifest's training seed draws the run's own final-evaluation sample.
        let users = trained.evaluationUsers(6)
        #expect(EvaluationSample.users(count: 6, userCount: 12, seed: 42, salt: TrainedRun.finalEvaluationSalt) == users)
        #expect(subject.users(6) == users && subject.users(0) == Array(0 ..< 12))
        #expect(EvaluationSample.users(count: 6, userCount: 12, seed: 43, salt: TrainedRun.finalEvaluationSalt) != users)
        // sasrec: RecSys's SASRecScorer on the run's checkpoint over those users.
        let direct = try Evaluator.evaluate(dataset: trained.context.dataset,
                                            scorer: SASRecScorer(model: run.sasrec, dataset: trained.context.dataset),
                                            options: EvaluationOptions(users: users, showProgress: false))
        try direct.write(to: run.root + "/direct")
        #expect(try EvaluationReport.loadRanks(path: run.root + "/direct/ranks.tsv") == EvaluationReport.loadRanks(path: viaBundle[2].directory + "/ranks.tsv"))
        // evaluation.json records the bundle, the data and the sample's seed.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: viaBundle[0].directory + "/evaluation.json"))) as! [String: Any]
        #expect(json["bundle"] as? String == bundle && json["data"] as? String == run.root + "/data")
        #expect(json["user_sample_seed"] as? Int == 42 && json["users"] as? Int == 6 && json["fusion"] as? String == "text-dominant")
        #expect(json["run"] == nil && json["pass_diagnostics"] != nil)
        let sasrecJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: viaBundle[2].directory + "/evaluation.json"))) as! [String: Any]
        #expect(sasrecJSON["fusion"] as? String == "sasrec" && sasrecJSON["alpha"] == nil)

        // A dataset that is not the bundle's catalog is refused before anything is scored.
        let shuffled = try Dataset(name: "tiny", items: Array(trained.context.dataset.items.reversed()), userIDs: ["u"], sequences: [[0, 1, 2]])
        #expect(throws: HDRecInferenceError.self) { try BundleEvaluation.checkItems(catalog: loaded(bundle, run).contents.catalog, dataset: shuffled) }
        // A bundle needs an output directory.
        options.out = nil
        #expect(throws: HDRecTrainingError.self) { try ModelEvaluation.evaluate(subject, options: options, methods: [.fusion(.textPass)]) }
    }

    @Test("the no-LLM control: w = 0 ranks as SASRec, w is chosen on validation and recorded, and it needs the item-text table")
    func control() throws {
        let run = try AnchoredRun()
        let bundle = run.root + "/bundle"
        try RunExporter.export(run: run.runDir, to: bundle, copyBase: false, command: "test")
        let subject = try BundleEvaluation.subject(bundle: bundle, dataPath: run.root + "/data", basePath: run.basePath)
        let dataset = subject.dataset
        let table = try #require(subject.model.heads.ipl.itemTable)
        let users = Array(0 ..< dataset.numUsers)
        // w = 0: exactly z(SASRec), so the same ranks as SASRec.
        var scorer = try TextControlScorer(sasrec: run.sasrec, dataset: dataset, itemTable: table,
                                           sasrecWidth: subject.model.heads.dimensions.sasrecWidth, weight: 0)
        let zero = try Evaluator.evaluate(dataset: dataset, scorer: scorer, options: EvaluationOptions(users: users, showProgress: false))
        let sasrec = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: run.sasrec, dataset: dataset),
                                            options: EvaluationOptions(users: users, showProgress: false))
        try zero.write(to: run.root + "/c0"); try sasrec.write(to: run.root + "/s0")
        #expect(try EvaluationReport.loadRanks(path: run.root + "/c0/ranks.tsv") == EvaluationReport.loadRanks(path: run.root + "/s0/ranks.tsv"))
        // A large w ranks by text similarity with the last item: that item is its own nearest neighbour.
        scorer.weight = 1000
        let n = dataset.numItems
        var row = [Float](repeating: 0, count: n)
        try row.withUnsafeMutableBufferPointer { try scorer.scores(users: [0], split: .test, into: $0) }
        let last = try #require(dataset.history(0, for: .test).last)
        #expect(row.indices.max { row[$0] < row[$1] } == last)
        // Through hdrec evaluate: w chosen on validation, recorded with its sweep.
        var options = RunEvaluationOptions()
        options.showProgress = false
        options.splits = [.test]
        options.out = run.root + "/eval-control"
        let result = try ModelEvaluation.evaluate(subject, options: options, methods: [.control])[0]
        #expect(result.controlWeight.map { TextControlScorer.weights.contains($0) } == true)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result.directory + "/evaluation.json"))) as! [String: Any]
        #expect(json["fusion"] as? String == "control" && json["control_weight"] != nil && json["control_valid_sweep"] != nil)
    }

    private func loaded(_ bundle: String, _ run: AnchoredRun) throws -> LoadedHDRec {
        try HDRecModel.load(bundle: bundle, basePath: run.basePath)
    }
}
