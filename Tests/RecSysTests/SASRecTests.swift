// SASRec behaviour: causality across positions, isolation between packed
// sequences, and a tiny dataset that the model must learn to fit.
import Support
import Testing
@testable import RecSys
import TrainingOps

@Suite("SASRec")
struct SASRecTests {
    @Test("a position's output depends only on earlier positions of its own sequence")
    func causality() {
        let config = GradientCheckTests.tinyConfig(loss: .ce, dropout: 0)
        let model = SASRecModel<Double>(config: config, numItems: 7)
        let a = model.hiddenStates(SASRecBatch(sequences: [[1, 2, 3, 4], [5, 6]]))
        let b = model.hiddenStates(SASRecBatch(sequences: [[1, 2, 0, 6], [5, 1]]))
        let d = config.hidden
        #expect(Array(a[0..<(2 * d)]) == Array(b[0..<(2 * d)]))       // positions 0-1 of sequence 0 unchanged
        #expect(Array(a[(2 * d)..<(3 * d)]) != Array(b[(2 * d)..<(3 * d)]))
        #expect(Array(a[(4 * d)..<(5 * d)]) == Array(b[(4 * d)..<(5 * d)]))  // sequence 1, position 0
        // Packing does not leak between sequences: sequence 1 alone gives the same states.
        let alone = model.hiddenStates(SASRecBatch(sequences: [[5, 6]]))
        for (x, y) in zip(alone, a[(4 * d)...]) { #expect(abs(x - y) < 1e-12) }
    }

    @Test("the layout puts item i at row i + 1 after a zero padding row")
    func layout() {
        let layout = SASRecLayout(config: SASRecConfig(), numItems: 10)
        #expect(layout.tensors[0].name == "item_embedding")
        #expect(layout.tensors[0].shape == [11, 128])
        let p: [Float] = layout.initialParameters(seed: 1)
        #expect(p[0..<128].allSatisfy { $0 == 0 })
        #expect(p[128..<256].contains { $0 != 0 })
    }

    @Test("on a tiny dataset with a deterministic next item, training drives the loss down and ranks targets first")
    func overfit() throws {
        // 12 items; user u walks the cycle (u, u+1, ..., u+7) mod 12, so the next item is always +1.
        let items = (0..<12).map { Item(id: "i\($0)", title: "t") }
        let sequences = (0..<24).map { u in (0..<8).map { (u + $0) % 12 } }
        let dataset = try Dataset(name: "cycle", items: items, userIDs: (0..<24).map { "u\($0)" }, sequences: sequences)
        var config = SASRecConfig()
        config.hidden = 16; config.heads = 2; config.inner = 32; config.maxLength = 10
        config.hiddenDropout = 0; config.attentionDropout = 0
        config.learningRate = 1e-2; config.batchSize = 8; config.maxEpochs = 60; config.patience = 60
        let result = try SASRecTrainer.train(dataset: dataset, config: config, showProgress: false, log: { _ in })
        #expect(result.epochs.first!.trainLoss > 2)
        #expect(result.epochs.last!.trainLoss < 0.05)
        let report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: result.model, dataset: dataset),
                                            options: EvaluationOptions(showProgress: false))
        #expect(report.result("test")!.metric("Recall@1") == 1)
        #expect(report.result("valid")!.metric("MRR") == 1)
    }
}

@Suite("SASRec training")
struct SASRecTrainingTests {
    /// 30 items; 40 users whose training histories follow a +1 cycle but whose validation
    /// and test items are random: validation NDCG@10 wanders instead of climbing, so early
    /// stopping triggers well before maxEpochs.
    static func noisyDataset() throws -> Dataset {
        var rng = SplitMix64(seed: 11)
        let items = (0..<30).map { Item(id: "i\($0)", title: "t") }
        let sequences = (0..<40).map { u in (0..<6).map { (u + $0) % 30 } + [Int(rng.next() % 30), Int(rng.next() % 30)] }
        return try Dataset(name: "noisy", items: items, userIDs: (0..<40).map { "u\($0)" }, sequences: sequences)
    }

    static func smallConfig(maxEpochs: Int, patience: Int) -> SASRecConfig {
        var config = SASRecConfig()
        config.hidden = 16; config.heads = 2; config.inner = 32; config.maxLength = 8
        config.hiddenDropout = 0.2; config.attentionDropout = 0.2
        config.learningRate = 2e-2; config.batchSize = 16
        config.maxEpochs = maxEpochs; config.patience = patience
        return config
    }

    static func validNDCG(_ model: SASRecModel<Float>, _ dataset: Dataset) throws -> Double {
        let report = try Evaluator.evaluate(dataset: dataset, scorer: SASRecScorer(model: model, dataset: dataset),
                                            options: EvaluationOptions(splits: [.valid], showProgress: false))
        return try #require(report.result("valid")).metric("NDCG@10")
    }

    @Test("early stopping: training stops `patience` epochs after the best validation NDCG@10 and returns and exports the best epoch's parameters")
    func earlyStopping() throws {
        let dataset = try Self.noisyDataset()
        let patience = 3
        let result = try SASRecTrainer.train(dataset: dataset, config: Self.smallConfig(maxEpochs: 40, patience: patience),
                                             showProgress: false, log: { _ in })
        let ndcg = result.epochs.map(\.validNDCG10)
        #expect(result.epochs.map(\.epoch) == Array(1...result.epochs.count))
        // The best epoch is the first one reaching the maximum (improvement must be strict) ...
        let best = try #require(ndcg.indices.first { ndcg[$0] == ndcg.max() }) + 1
        #expect(result.bestEpoch == best)
        // ... and training ran exactly `patience` epochs past it, well short of maxEpochs.
        #expect(result.epochs.count == best + patience)
        #expect(result.epochs.count < 40)
        #expect(ndcg.last! < ndcg[best - 1])
        // The returned model is the best epoch's, not the last one's ...
        #expect(try Self.validNDCG(result.model, dataset) == ndcg[best - 1])
        // ... bit for bit: a run told to stop at that epoch ends with the same parameters.
        let short = try SASRecTrainer.train(dataset: dataset, config: Self.smallConfig(maxEpochs: best, patience: 40),
                                            showProgress: false, log: { _ in })
        #expect(short.model.parameters == result.model.parameters)
        // The exported file holds those parameters.
        let dir = TempDir()
        try SASRecExport.write(result.model, to: dir.path + "/sasrec.safetensors")
        let loaded = try SASRecExport.load(path: dir.path + "/sasrec.safetensors", config: result.model.layout.config, numItems: dataset.numItems)
        #expect(loaded.parameters == result.model.parameters)
    }
}

@Suite("SASRec export")
struct SASRecExportTests {
    @Test("sasrec.safetensors holds item_embedding [items + 1, d] with row 0 padding and row i+1 = item i, and reloads exactly")
    func roundTrip() throws {
        var config = SASRecConfig()
        config.hidden = 8; config.heads = 2; config.inner = 16; config.maxLength = 5
        let model = SASRecModel<Float>(config: config, numItems: 6)
        let dir = TempDir()
        let path = dir.path + "/sasrec.safetensors"
        try SASRecExport.write(model, to: path)
        let (table, hidden) = try SASRecExport.itemEmbedding(path: path, numItems: 6)
        #expect(hidden == 8)
        #expect(table.count == 7 * 8)
        #expect(table[0..<8].allSatisfy { $0 == 0 })
        let offset = model.layout.itemEmbedding
        for item in 0..<6 {
            #expect(Array(table[((item + 1) * 8)..<((item + 2) * 8)]) == Array(model.parameters[(offset + (item + 1) * 8)..<(offset + (item + 2) * 8)]))
        }
        let loaded = try SASRecExport.load(path: path, config: config, numItems: 6)
        #expect(loaded.parameters == model.parameters)
        #expect(throws: RecSysError.self) { _ = try SASRecExport.itemEmbedding(path: path, numItems: 5) }
    }
}
