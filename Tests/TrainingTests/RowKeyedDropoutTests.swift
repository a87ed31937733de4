// Dropout keyed by (sample, position) and the shard arithmetic of data-parallel training
// (docs/scaling.md): a sample's masks must not depend on its row, batch or left padding, and
// shards weighted by the global batch's counts must add up to the whole batch's loss and gradient.
import GradCheck
import Testing
import TrainingOps
@testable import HDRecInference
@testable import Training

@Suite("Row-keyed dropout and sharded losses")
struct RowKeyedDropoutTests {
    let n = 4, k = 6, r = 3

    /// x rows drawn once per key, so the same key carries the same input wherever it is placed.
    private func rows(_ keys: [UInt64]) -> Tensor<Double> {
        Tensor(keys.flatMap { key -> [Double] in
            var d = Draw(seed: key &+ 1000)
            return d.tensor(k).array
        })
    }

    @Test("a LoRA row keeps its dropout mask when it moves to another row of another batch")
    func loraMaskFollowsTheRow() {
        var d = Draw(seed: 5)
        let w = d.tensor(n * k), a = d.tensor(r * k), b = d.tensor(n * r)
        func u(_ keys: [UInt64]) -> [[Double]] {
            let m = keys.count
            let x = rows(keys), y = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
            LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil, a: a.const, b: b.const,
                               shape: LoRAShape(m: m, n: n, k: k, rank: r, scale: 4, dropout: 0.5, rowKeys: keys), seed: 9)
            return (0 ..< m).map { Array(u.array[$0 * r ..< ($0 + 1) * r]) }
        }
        let first = u([11, 42, 13])
        let second = u([7, 8, 9, 10, 42, 12])
        #expect(first[1] == second[4], "key 42's u row moved with it")
        // The key, not the row, chooses the mask: keys 42 and 43 at the same row draw different masks.
        var masks = [[Double]](repeating: [Double](repeating: 0, count: 64), count: 2)
        for (i, key) in [UInt64(42), 43].enumerated() {
            masks[i].withUnsafeMutableBufferPointer {
                RowKeyedDropout.factors($0.baseAddress!, seed: 9, rows: 0 ..< 1, width: 64, p: 0.5, keys: [key])
            }
        }
        #expect(masks[0] != masks[1])
        #expect(masks[0].allSatisfy { $0 == 0 || $0 == 2 } && masks[0].contains(0) && masks[0].contains(2))
    }

    @Test("LoRA backward with row keys matches finite differences")
    func keyedLoRAGradients() {
        var d = Draw(seed: 6)
        let keys: [UInt64] = [5, 900, 17, 3]
        let m = keys.count
        let shape = LoRAShape(m: m, n: n, k: k, rank: r, scale: 4, dropout: 0.3, rowKeys: keys)
        let x = d.tensor(m * k), w = d.tensor(n * k), a = d.tensor(r * k), b = d.tensor(n * r), dOut = d.tensor(m * n)
        let y = Tensor<Double>(count: m * n), u = Tensor<Double>(count: m * r)
        func loss() -> Double {
            LoRALinear.forward(out: y.pointer, saved: u.pointer, input: x.const, weight: w.const, bias: nil,
                               a: a.const, b: b.const, shape: shape, seed: 77)
            return dot(y, dOut)
        }
        _ = loss()
        let dx = Tensor<Double>(count: m * k), da = Tensor<Double>(count: r * k), dB = Tensor<Double>(count: n * r)
        LoRALinear.backward(dInput: dx.pointer, dA: da.pointer, dB: dB.pointer, dOut: dOut.const, input: x.const, saved: u.const,
                            weight: w.const, a: a.const, b: b.const, shape: shape, seed: 77)
        expectGradientsMatch([Checked("x", x, dx), Checked("A", a, da), Checked("B", b, dB)], loss: loss)
    }

    @Test("an IPL row keeps its dropout mask in another batch, and its backward matches finite differences")
    func iplMaskFollowsTheRow() {
        var d = Draw(seed: 8)
        let dim = 5, hidden = 6, items = 7
        let w1 = d.tensor(hidden * dim), b1 = d.tensor(hidden), w2 = d.tensor(items * hidden)
        let weights = IPLWeights(w1: w1.const, b1: b1.const, w2: w2.const)
        func logits(_ keys: [UInt64], input: Tensor<Double>) -> Tensor<Double> {
            let z = Tensor<Double>(count: keys.count * items), a = Tensor<Double>(count: keys.count * hidden)
            TrainableIPL.forward(logits: z.pointer, saved: a.pointer, input: input.const, weights: weights,
                                 shape: IPLShape(rows: keys.count, dim: dim, hidden: hidden, items: items, dropout: 0.5, rowKeys: keys),
                                 seed: 3)
            return z
        }
        var hd = Draw(seed: 77)
        let h = hd.tensor(dim)
        let filler = d.tensor(2 * dim)
        let alone = logits([99], input: h)
        let placed = logits([1, 2, 99], input: Tensor(filler.array + h.array))
        #expect(alone.array == Array(placed.array[2 * items ..< 3 * items]))

        let keys: [UInt64] = [4, 99, 12]
        let x = d.tensor(3 * dim), dz = d.tensor(3 * items)
        let shape = IPLShape(rows: 3, dim: dim, hidden: hidden, items: items, dropout: 0.5, rowKeys: keys)
        let z = Tensor<Double>(count: 3 * items), a = Tensor<Double>(count: 3 * hidden)
        func loss() -> Double {
            TrainableIPL.forward(logits: z.pointer, saved: a.pointer, input: x.const, weights: weights, shape: shape, seed: 3)
            return dot(z, dz)
        }
        _ = loss()
        let dx = Tensor<Double>(count: 3 * dim), dw1 = Tensor<Double>(count: hidden * dim)
        let db1 = Tensor<Double>(count: hidden), dw2 = Tensor<Double>(count: items * hidden)
        TrainableIPL.backward(dInput: dx.pointer, gradients: IPLGradients(w1: dw1.pointer, b1: db1.pointer, w2: dw2.pointer),
                              dLogits: dz.const, input: x.const, saved: a.const, weights: weights, shape: shape, seed: 3)
        expectGradientsMatch([Checked("h", x, dx), Checked("W1", w1, dw1), Checked("b1", b1, db1), Checked("W2", w2, dw2)],
                             loss: loss)
    }

    @Test("a sample's logits under dropout do not depend on the batch it is trained in")
    func networkMasksFollowTheSample() throws {
        let config = TinyHDRec.config()
        let base = try TinyHDRec.base(Double.self, seed: 21)
        let network = try TinyHDRec.network(base: base, config: config, seed: 22)
        let p = try HDRecParameters(config: config, base: base, itemCount: TinyHDRec.items, seed: 23)
        let prompts = TinyHDRec.textPrompts
        let keys = [TrainingSampleKey.user(3), TrainingSampleKey.user(8), TrainingSampleKey.item(2)]
        let whole = try network.forward(prompts, branch: .text, parameters: p, training: true, seed: 5, sampleKeys: keys)
        // Prompt 1 alone (no left padding now) and first in another batch.
        let alone = try network.forward([prompts[1]], branch: .text, parameters: p, training: true, seed: 5, sampleKeys: [keys[1]])
        let reordered = try network.forward([prompts[1], prompts[2]], branch: .text, parameters: p, training: true, seed: 5,
                                            sampleKeys: [keys[1], keys[2]])
        let items = TinyHDRec.items
        let rowsOf1 = Array(whole.logits.array[2 * items ..< 4 * items])   // prompt 0 has 2 supervised rows
        for other in [Array(alone.logits.array), Array(reordered.logits.array[0 ..< 2 * items])] {
            let worst = zip(rowsOf1, other).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-12, "user 8's logits moved by \(worst) with its batch")
        }
        // The masks are keyed by the sample: another key gives other logits.
        let renamed = try network.forward([prompts[1]], branch: .text, parameters: p, training: true, seed: 5,
                                          sampleKeys: [TrainingSampleKey.user(9)])
        #expect(renamed.logits.array != alone.logits.array)
    }

    @Test("shards weighted by the global counts add up to the whole batch's loss and gradient")
    func shardsAddUpToTheBatch() throws {
        for average in [LossAverage.users, .positions] {
            let config = TinyHDRec.config()
            let base = try TinyHDRec.base(Double.self, seed: 31)
            let network = try TinyHDRec.network(base: base, config: config, seed: 32)
            let p = try HDRecParameters(config: config, base: base, itemCount: TinyHDRec.items, seed: 33)
            let store = p.store
            let keys: [UInt64] = [TrainingSampleKey.user(0), TrainingSampleKey.user(1), TrainingSampleKey.item(4)]
            let global = GlobalLossCounts(text: LossCounts(rowsPerSequence: TinyHDRec.textPrompts.map(\.supervision.count)),
                                          id: LossCounts(rowsPerSequence: TinyHDRec.idPrompts.map(\.supervision.count)),
                                          shared: LossCounts(rowsPerSequence: TinyHDRec.idPrompts.map(\.supervision.count)))
            // Text phase with KL against the ID pass of the same samples: whole batch, then shards {0, 1} and {2}.
            func phase(_ range: Range<Int>, counts: GlobalLossCounts?) throws -> Double {
                let texts = Array(TinyHDRec.textPrompts[range]), ids = Array(TinyHDRec.idPrompts[range.clamped(to: 0 ..< 2)])
                let textKeys = Array(keys[range]), idKeys = Array(keys[range.clamped(to: 0 ..< 2)])
                var teacher: BranchTeacher<Double>? = nil
                if !ids.isEmpty {
                    let t = try network.forward(ids, branch: .id, parameters: p, training: true, seed: 41, sampleKeys: idKeys)
                    teacher = BranchTeacher(logits: t.logits, rowsPerSequence: t.rowsPerSequence)
                }
                let f = try network.forward(texts, branch: .text, parameters: p, training: true, seed: 42, sampleKeys: textKeys)
                var loss = BranchLoss(average: average, usesKL: true, klWeight: 0.5, klTemperature: 1, step: 0)
                if let counts { loss.globalCounts = (counts.text, counts.shared) }
                let d = Tensor<Double>(count: f.rowCount * network.itemCount)
                let (ce, kl) = try loss.evaluate(f, teacher: teacher, itemCount: network.itemCount, dLogits: d)
                try network.backward(f, dLogits: d.const, parameters: p)
                return ce + 0.5 * (kl ?? 0)
            }
            store.zeroGradients()
            let whole = try phase(0 ..< 3, counts: nil)
            let wholeGradient = store.gradients.array
            store.zeroGradients()
            let sharded = try phase(0 ..< 2, counts: global) + phase(2 ..< 3, counts: global)
            let shardGradient = store.gradients.array
            #expect(abs(whole - sharded) < 1e-12, "\(average): loss \(whole) whole, \(sharded) over shards")
            let scale = wholeGradient.map(abs).max() ?? 1
            let worst = zip(wholeGradient, shardGradient).map { abs($0 - $1) }.max() ?? 0
            #expect(scale > 0 && worst / scale < 1e-12, "\(average): gradients differ by \(worst) (scale \(scale))")
        }
    }
}
