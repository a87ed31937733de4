// Whole-model check on a tiny random decoder: embeddings (base rows, added-token rows, projected ID
// rows) → two Llama blocks with LoRA → final RMSNorm → IPL at the supervised rows → CE + λ·KL with
// per-user row weights, all in Double, checked end to end against finite differences.
import GradCheck
import Testing
@testable import Training
import TrainingOps

@Suite("Tiny decoder, end to end")
struct TinyModelTests {
    @Test("loss gradients reach the projector, added-token rows, both blocks' adapters and the IPL")
    func wholeModel() throws {
        let config = LlamaBlockConfig(dim: 8, ffnDim: 10, heads: 2, kvHeads: 1, headDim: 4, rmsEps: 1e-5, ropeBase: 100_000,
                                      loraRank: 2, loraAlpha: 8, loraDropout: 0.3, targets: .hdrecDefault)
        let blocks = [TinyBlock<Double>(config: config, lengths: [4, 3], paddedLength: 4, seed: 81),
                      TinyBlock<Double>(config: config, lengths: [4, 3], paddedLength: 4, seed: 82)]
        let batch = blocks[0].batch, m = batch.tokenCount, c = config.dim
        var d = Draw(seed: 83)
        let vocab = 5, items = 6, sasDim = 3, hidden = 5
        let baseTable = d.tensor(vocab * c), added = d.tensor(2 * c)
        let sasRows = d.tensor(2 * sasDim)
        let pw1 = d.tensor(hidden * sasDim), pb1 = d.tensor(hidden), pw2 = d.tensor(c * hidden), pb2 = d.tensor(c)
        let finalNorm = d.tensor(c, scale: 1)
        let iw1 = d.tensor(hidden * c), ib1 = d.tensor(hidden), iw2 = d.tensor(items * hidden)
        let teacher = d.tensor(3 * items, scale: 2)
        // rows: seq 0 = 0..3, seq 1 = 5..7 (row 4 is padding)
        let baseIds: [Int32] = [1, -1, 2, -1, -1, 3, -1, -1]
        let addedIds: [Int32] = [-1, -1, -1, 0, -1, -1, -1, 0]   // [SEQ] rows
        let injectAt: [Int32] = [1, 6]                            // ID placeholders
        let supervised = [3, 7, 2]
        let targets: [Int32] = [4, 1, 0]
        let weights = Tensor<Double>(RowWeights.perGroupMean(groupSizes: [2, 1]))
        let lambda = 0.7, tau = 2.0
        let positions = batch.positions()
        let projShape = ProjectorShape(rows: 2, input: sasDim, hidden: hidden, output: c)
        let iplShape = IPLShape(rows: 3, dim: c, hidden: hidden, items: items, dropout: 0.2)
        let pW = ProjectorWeights(w1: pw1.const, b1: pb1.const, w2: pw2.const, b2: pb2.const)
        let iW = IPLWeights(w1: iw1.const, b1: ib1.const, w2: iw2.const)

        let emb = Tensor<Double>(count: m * c), projected = Tensor<Double>(count: 2 * c), projSaved = Tensor<Double>(count: 2 * hidden)
        let acts = blocks.map { _ in LlamaBlockActivations<Double>(config: config, rows: m) }
        let hs = [Tensor<Double>(count: m * c), Tensor<Double>(count: m * c)]
        let normed = Tensor<Double>(count: m * c), rstd = Tensor<Double>(count: m)
        let picked = Tensor<Double>(count: 3 * c), logits = Tensor<Double>(count: 3 * items), iplSaved = Tensor<Double>(count: 3 * hidden)
        let lse = Tensor<Double>(count: 3), lt = Tensor<Double>(count: 3), ls = Tensor<Double>(count: 3)

        func loss() -> Double {
            emb.zero()
            baseIds.withUnsafeBufferPointer { try! Embedding.forward(out: emb.pointer, table: baseTable.const, ids: $0.baseAddress!, m: m, c: c, vocabulary: vocab) }
            addedIds.withUnsafeBufferPointer { try! Embedding.forward(out: emb.pointer, table: added.const, ids: $0.baseAddress!, m: m, c: c, vocabulary: 2) }
            TrainableProjector.forward(out: projected.pointer, saved: projSaved.pointer, input: sasRows.const, weights: pW, shape: projShape)
            injectAt.withUnsafeBufferPointer { try! Embedding.inject(out: emb.pointer, rows: projected.const, positions: $0.baseAddress!, j: 2, c: c, m: m) }
            blocks[0].forward(out: hs[0], saved: acts[0], input: emb, seed: 1)
            blocks[1].forward(out: hs[1], saved: acts[1], input: hs[0], seed: 2)
            RMSNorm.forward(out: normed.pointer, rstd: rstd.pointer, input: hs[1].const, weight: finalNorm.const, m: m, c: c, eps: 1e-5)
            for (n, row) in supervised.enumerated() { (picked.pointer + n * c).update(from: normed.pointer + row * c, count: c) }
            TrainableIPL.forward(logits: logits.pointer, saved: iplSaved.pointer, input: picked.const, weights: iW, shape: iplShape, seed: 5)
            let ce = targets.withUnsafeBufferPointer {
                try! SoftmaxCrossEntropy.forward(losses: nil, lse: lse.pointer, logits: logits.const, targets: $0.baseAddress!, weights: weights.const, n: 3, v: items)
            }
            let kl = KLDivergence.forward(lseTeacher: lt.pointer, lseStudent: ls.pointer, teacher: teacher.const, student: logits.const,
                                          weights: weights.const, n: 3, v: items, temperature: tau)
            return ce + lambda * kl
        }
        _ = loss()

        // backward, in reverse
        let dLogits = Tensor<Double>(count: 3 * items)
        targets.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.backward(dLogits: dLogits.pointer, logits: logits.const, lse: lse.const, targets: $0.baseAddress!, weights: weights.const, dLoss: 1, n: 3, v: items)
        }
        KLDivergence.backward(dStudent: dLogits.pointer, teacher: teacher.const, student: logits.const, lseTeacher: lt.const, lseStudent: ls.const,
                              weights: weights.const, dLoss: lambda, n: 3, v: items, temperature: tau)
        let dPicked = Tensor<Double>(count: 3 * c)
        let diw1 = Tensor<Double>(count: iw1.count), dib1 = Tensor<Double>(count: ib1.count), diw2 = Tensor<Double>(count: iw2.count)
        TrainableIPL.backward(dInput: dPicked.pointer, gradients: IPLGradients(w1: diw1.pointer, b1: dib1.pointer, w2: diw2.pointer),
                              dLogits: dLogits.const, input: picked.const, saved: iplSaved.const, weights: iW, shape: iplShape, seed: 5)
        let dNormed = Tensor<Double>(count: m * c)
        for (n, row) in supervised.enumerated() { for j in 0..<c { dNormed[row * c + j] += dPicked[n * c + j] } }
        let dH1 = Tensor<Double>(count: m * c), dH0 = Tensor<Double>(count: m * c), dEmb = Tensor<Double>(count: m * c)
        RMSNorm.backward(dInput: dH1.pointer, dWeight: nil, dOut: dNormed.const, input: hs[1].const, weight: finalNorm.const, rstd: rstd.const, m: m, c: c)
        blocks[1].backward(dInput: dH0, dOut: dH1, saved: acts[1], seed: 2)
        blocks[0].backward(dInput: dEmb, dOut: dH0, saved: acts[0], seed: 1)
        let dAdded = Tensor<Double>(count: added.count), dProjected = Tensor<Double>(count: 2 * c)
        addedIds.withUnsafeBufferPointer { Embedding.backward(dTable: dAdded.pointer, dOut: dEmb.const, ids: $0.baseAddress!, m: m, c: c) }
        injectAt.withUnsafeBufferPointer { Embedding.injectBackward(dRows: dProjected.pointer, dOut: dEmb.const, positions: $0.baseAddress!, j: 2, c: c) }
        let dpw1 = Tensor<Double>(count: pw1.count), dpb2 = Tensor<Double>(count: pb2.count)
        TrainableProjector.backward(dInput: nil, gradients: ProjectorGradients(w1: dpw1.pointer, b1: nil, w2: nil, b2: dpb2.pointer),
                                    dOut: dProjected.const, input: sasRows.const, saved: projSaved.const, weights: pW, shape: projShape)

        expectGradientsMatch([
            Checked("projector.W1", pw1, dpw1), Checked("projector.b2", pb2, dpb2), Checked("added tokens", added, dAdded),
            Checked("block0.q.A", blocks[0].loraA[.q]!, blocks[0].gradA[.q]!), Checked("block0.v.B", blocks[0].loraB[.v]!, blocks[0].gradB[.v]!),
            Checked("block1.down.B", blocks[1].loraB[.down]!, blocks[1].gradB[.down]!), Checked("block1.up.A", blocks[1].loraA[.up]!, blocks[1].gradA[.up]!),
            Checked("block0.attnNorm", blocks[0].frozen["attnNorm"]!, blocks[0].dAttnNorm),
            Checked("ipl.W1", iw1, diw1), Checked("ipl.b1", ib1, dib1), Checked("ipl.W2", iw2, diw2),
        ], maxSamples: 16, loss: loss)
        // the padding row and the un-read [SEQ]-free rows of the added table get nothing
        #expect(dAdded.array[c..<(2 * c)].allSatisfy { $0 == 0 })
    }
}
