// Embedding lookup/injection, softmax cross-entropy, KL divergence and row weights.
import Foundation
import Testing
import GradCheck
@testable import TrainingOps

@Suite("Embedding and losses")
struct EmbeddingLossTests {
    @Test("lookup skips negative ids, injection overwrites chosen rows, and both scatter gradients back")
    func embedding() throws {
        var d = Draw(seed: 31)
        let m = 5, c = 3, v = 4
        let table = d.tensor(v * c), rows = d.tensor(2 * c), dOut = d.tensor(m * c)
        let ids: [Int32] = [2, -1, 2, 0, -1]
        let positions: [Int32] = [1, 4]
        let out = Tensor<Double>(count: m * c)
        func loss() -> Double {
            out.zero()
            ids.withUnsafeBufferPointer { i in
                try! Embedding.forward(out: out.pointer, table: table.const, ids: i.baseAddress!, m: m, c: c, vocabulary: v)
            }
            positions.withUnsafeBufferPointer { p in
                try! Embedding.inject(out: out.pointer, rows: rows.const, positions: p.baseAddress!, j: 2, c: c, m: m)
            }
            return dot(out, dOut)
        }
        _ = loss()
        #expect(Array(out.array[0..<3]) == Array(table.array[6..<9]))
        #expect(Array(out.array[12..<15]) == Array(rows.array[3..<6]))
        let dTable = Tensor<Double>(count: v * c), dRows = Tensor<Double>(count: 2 * c)
        ids.withUnsafeBufferPointer { i in
            Embedding.backward(dTable: dTable.pointer, dOut: dOut.const, ids: i.baseAddress!, m: m, c: c)
        }
        positions.withUnsafeBufferPointer { p in
            Embedding.injectBackward(dRows: dRows.pointer, dOut: dOut.const, positions: p.baseAddress!, j: 2, c: c)
        }
        expectGradientsMatch([Checked("table", table, dTable), Checked("rows", rows, dRows)], loss: loss)
        // repeated id 2 sums two rows of dOut
        #expect(abs(dTable[6] - (dOut[0] + dOut[6])) < 1e-15)
    }

    @Test("lookup and injection reject out-of-range ids and positions with what was found")
    func embeddingErrors() {
        let out = Tensor<Double>(count: 6), table = Tensor<Double>(count: 6)
        let ids: [Int32] = [0, 3]
        #expect(throws: TrainingOpsError.tokenOutOfRange(position: 1, token: 3, vocabulary: 3)) {
            try ids.withUnsafeBufferPointer { try Embedding.forward(out: out.pointer, table: table.const, ids: $0.baseAddress!, m: 2, c: 2, vocabulary: 3) }
        }
        let pos: [Int32] = [2]
        #expect(throws: TrainingOpsError.positionOutOfRange(index: 0, position: 2, count: 2)) {
            try pos.withUnsafeBufferPointer { try Embedding.inject(out: out.pointer, rows: table.const, positions: $0.baseAddress!, j: 1, c: 2, m: 2) }
        }
    }

    @Test("cross-entropy equals −log softmax at the target, is stable for huge logits, and its gradient checks")
    func crossEntropy() throws {
        var d = Draw(seed: 32)
        let n = 4, v = 7
        let logits = d.tensor(n * v, scale: 3)
        let targets: [Int32] = [0, 6, 3, 3]
        let weights = Tensor<Double>([0.1, 0.5, 0.25, 1])
        let lse = Tensor<Double>(count: n)
        func loss() -> Double {
            targets.withUnsafeBufferPointer { t in
                try! SoftmaxCrossEntropy.forward(losses: nil, lse: lse.pointer, logits: logits.const, targets: t.baseAddress!,
                                                 weights: weights.const, n: n, v: v)
            }
        }
        var expected = 0.0
        for r in 0..<n {
            let z = (0..<v).map { logits[r * v + $0] }
            expected += weights[r] * -Foundation.log(Foundation.exp(z[Int(targets[r])]) / z.map { Foundation.exp($0) }.reduce(0, +))
        }
        #expect(abs(loss() - expected) < 1e-13)
        let dl = Tensor<Double>(count: n * v)
        func backward() {
            targets.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.backward(dLogits: dl.pointer, logits: logits.const, lse: lse.const, targets: t.baseAddress!,
                                             weights: weights.const, dLoss: 1, n: n, v: v)
            }
        }
        backward()
        expectGradientsMatch([Checked("logits", logits, dl)], loss: loss)
        let once = dl.array
        backward()
        expectDoubled(once, dl, "dLogits")

        // 1e4-sized logits: finite, and the loss of a dominant target is ~0
        let big = Tensor<Float>([10_000, 0, -10_000]), lf = Tensor<Float>(count: 1)
        let t0: [Int32] = [0]
        let value = try t0.withUnsafeBufferPointer {
            try SoftmaxCrossEntropy.forward(losses: nil, lse: lf.pointer, logits: big.const, targets: $0.baseAddress!,
                                            weights: nil, n: 1, v: 3)
        }
        #expect(value.isFinite && value < 1e-6)
        let bad: [Int32] = [3]
        #expect(throws: TrainingOpsError.targetOutOfRange(row: 0, target: 3, classes: 3)) {
            try bad.withUnsafeBufferPointer {
                try SoftmaxCrossEntropy.forward(losses: nil, lse: lf.pointer, logits: big.const, targets: $0.baseAddress!,
                                                weights: nil, n: 1, v: 3)
            }
        }
    }

    @Test("KL(teacher‖student) at temperature τ matches Σ p(log p − log q), is 0 for equal inputs, and its student gradient checks")
    func klDivergence() {
        var d = Draw(seed: 33)
        let n = 3, v = 6, tau = 2.0
        let teacher = d.tensor(n * v, scale: 3), student = d.tensor(n * v, scale: 3)
        let weights = Tensor<Double>([1.0 / 3, 1.0 / 6, 0.5])
        let lt = Tensor<Double>(count: n), ls = Tensor<Double>(count: n)
        func loss() -> Double {
            KLDivergence.forward(lseTeacher: lt.pointer, lseStudent: ls.pointer, teacher: teacher.const,
                                 student: student.const, weights: weights.const, n: n, v: v, temperature: tau)
        }
        var expected = 0.0
        for r in 0..<n {
            let et = (0..<v).map { Foundation.exp(teacher[r * v + $0] / tau) }, es = (0..<v).map { Foundation.exp(student[r * v + $0] / tau) }
            let zt = et.reduce(0, +), zs = es.reduce(0, +)
            expected += weights[r] * (0..<v).map { (et[$0] / zt) * Foundation.log((et[$0] / zt) / (es[$0] / zs)) }.reduce(0, +)
        }
        #expect(abs(loss() - expected) < 1e-13)
        let ds = Tensor<Double>(count: n * v)
        func backward() {
            KLDivergence.backward(dStudent: ds.pointer, teacher: teacher.const, student: student.const, lseTeacher: lt.const,
                                  lseStudent: ls.const, weights: weights.const, dLoss: 1, n: n, v: v, temperature: tau)
        }
        backward()
        expectGradientsMatch([Checked("student", student, ds)], loss: loss)
        let once = ds.array
        backward()
        expectDoubled(once, ds, "dStudent")
        // identical distributions (shifted logits) give zero divergence
        let shifted = Tensor<Double>(teacher.array.map { $0 + 5 })
        let same = KLDivergence.forward(lseTeacher: lt.pointer, lseStudent: ls.pointer, teacher: teacher.const,
                                        student: shifted.const, weights: nil, n: n, v: v, temperature: tau)
        #expect(abs(same) < 1e-13)
    }

    @Test("row weights: batch mean is 1/N, per-user mean averages within each user then over users")
    func rowWeights() {
        #expect(RowWeights.batchMean(rows: 4, as: Double.self) == [0.25, 0.25, 0.25, 0.25])
        let w = RowWeights.perGroupMean(groupSizes: [1, 0, 3], as: Double.self)
        #expect(w.count == 4)
        #expect(abs(w[0] - 0.5) < 1e-15 && abs(w[1] - 1.0 / 6) < 1e-15)
        #expect(abs(w.reduce(0, +) - 1) < 1e-15)
    }
}
