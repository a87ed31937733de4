// Finite-difference checks (central differences in Double) of every SASRec
// backward pass: each op on its own, then the whole model on a tiny
// configuration, with dropout masks held fixed by reseeding.
import Foundation
import Support
import Testing
@testable import RecSys

func randomArray(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Double] {
    (0..<n).map { _ in rng.nextGaussian() * scale }
}

/// ‖a − b‖ / max(1e-4, ‖a‖ + ‖b‖): the relative error of a whole gradient tensor. The floor
/// keeps tensors whose true gradient is zero (e.g. the key bias, to which softmax is
/// invariant) from dividing finite-difference noise by nothing.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    func norm(_ v: [Double]) -> Double { v.map { $0 * $0 }.reduce(0, +).squareRoot() }
    return norm(zip(a, b).map { $0 - $1 }) / max(1e-4, norm(a) + norm(b))
}

/// Numerical gradient of `f` at `x` by central differences.
func numericGradient(_ x: [Double], h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    var g = [Double](repeating: 0, count: x.count)
    var y = x
    for i in x.indices {
        y[i] = x[i] + h; let up = f(y)
        y[i] = x[i] - h; let down = f(y)
        y[i] = x[i]
        g[i] = (up - down) / (2 * h)
    }
    return g
}

@Suite("SASRec gradient checks")
struct GradientCheckTests {
    @Test("linear: dx, dW and db match finite differences")
    func linear() {
        var rng = SplitMix64(seed: 1)
        let (rows, n, k) = (3, 4, 5)
        let x = randomArray(rows * k, &rng), w = randomArray(n * k, &rng), b = randomArray(n, &rng), r = randomArray(rows * n, &rng)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var y = [Double](repeating: 0, count: rows * n)
            SASRecOps.linear(&y, x, w, b, rows: rows, n: n, k: k)
            return zip(y, r).map(*).reduce(0, +)
        }
        var dx = [Double](repeating: 0, count: rows * k), dw = [Double](repeating: 0, count: n * k), db = [Double](repeating: 0, count: n)
        SASRecOps.linearBackward(dy: r, x: x, w: w, dx: &dx, dw: &dw, db: &db, rows: rows, n: n, k: k, accumulateDx: false)
        #expect(relativeError(dx, numericGradient(x) { loss($0, w, b) }) < 1e-7)
        #expect(relativeError(dw, numericGradient(w) { loss(x, $0, b) }) < 1e-7)
        #expect(relativeError(db, numericGradient(b) { loss(x, w, $0) }) < 1e-7)
    }

    @Test("layer norm: dx, dγ and dβ match finite differences")
    func layerNorm() {
        var rng = SplitMix64(seed: 2)
        let (rows, d) = (3, 6)
        let x = randomArray(rows * d, &rng), g = randomArray(d, &rng), b = randomArray(d, &rng), r = randomArray(rows * d, &rng)
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            var y = [Double](repeating: 0, count: rows * d), xh = y, rs = [Double](repeating: 0, count: rows)
            SASRecOps.layerNorm(x, gamma: g, beta: b, y: &y, xhat: &xh, rstd: &rs, rows: rows, d: d, eps: 1e-12)
            return zip(y, r).map(*).reduce(0, +)
        }
        var y = [Double](repeating: 0, count: rows * d), xh = y, rs = [Double](repeating: 0, count: rows)
        SASRecOps.layerNorm(x, gamma: g, beta: b, y: &y, xhat: &xh, rstd: &rs, rows: rows, d: d, eps: 1e-12)
        var dx = [Double](repeating: 0, count: rows * d), dg = [Double](repeating: 0, count: d), dbeta = dg
        SASRecOps.layerNormBackward(dy: r, xhat: xh, rstd: rs, gamma: g, dx: &dx, dgamma: &dg, dbeta: &dbeta, rows: rows, d: d)
        #expect(relativeError(dx, numericGradient(x) { loss($0, g, b) }) < 1e-6)
        #expect(relativeError(dg, numericGradient(g) { loss(x, $0, b) }) < 1e-7)
        #expect(relativeError(dbeta, numericGradient(b) { loss(x, g, $0) }) < 1e-7)
    }

    @Test("GELU (erf form) derivative matches finite differences")
    func gelu() {
        var rng = SplitMix64(seed: 3)
        let x = randomArray(20, &rng, scale: 2), r = randomArray(20, &rng)
        func loss(_ x: [Double]) -> Double {
            var y = [Double](repeating: 0, count: x.count)
            SASRecOps.gelu(x, &y, count: x.count)
            return zip(y, r).map(*).reduce(0, +)
        }
        var dx = [Double](repeating: 0, count: 20)
        SASRecOps.geluBackward(x: x, dy: r, dx: &dx, count: 20)
        #expect(relativeError(dx, numericGradient(x, loss)) < 1e-7)
    }

    @Test("causal attention over packed sequences, with a fixed dropout mask: dq, dk, dv match finite differences")
    func attention() {
        var rng = SplitMix64(seed: 4)
        let (heads, d) = (2, 6)
        let starts = [0, 3, 4, 8]  // lengths 3, 1, 4
        let P = 8
        let offsets = SASRecOps.attentionOffsets(starts: starts, heads: heads)
        let q = randomArray(P * d, &rng), k = randomArray(P * d, &rng), v = randomArray(P * d, &rng), r = randomArray(P * d, &rng)
        let mask: [Double] = (0..<offsets.last!).map { _ in rng.nextUnit() < 0.3 ? 0 : 1 / 0.7 }
        for m in [nil, mask] {
            func loss(_ q: [Double], _ k: [Double], _ v: [Double]) -> Double {
                var ctx = [Double](repeating: 0, count: P * d), probs = [Double](repeating: 0, count: offsets.last!)
                m.withUnsafeBufferPointerOrNil { mp in
                    SASRecOps.attention(q: q, k: k, v: v, ctx: &ctx, probs: &probs, mask: mp, starts: starts, offsets: offsets, heads: heads, d: d)
                }
                return zip(ctx, r).map(*).reduce(0, +)
            }
            var ctx = [Double](repeating: 0, count: P * d), probs = [Double](repeating: 0, count: offsets.last!)
            var dq = ctx, dk = ctx, dv = ctx
            m.withUnsafeBufferPointerOrNil { mp in
                SASRecOps.attention(q: q, k: k, v: v, ctx: &ctx, probs: &probs, mask: mp, starts: starts, offsets: offsets, heads: heads, d: d)
                SASRecOps.attentionBackward(q: q, k: k, v: v, probs: probs, mask: mp, dctx: r, dq: &dq, dk: &dk, dv: &dv,
                                            starts: starts, offsets: offsets, heads: heads, d: d)
            }
            #expect(relativeError(dq, numericGradient(q) { loss($0, k, v) }) < 1e-6)
            #expect(relativeError(dk, numericGradient(k) { loss(q, $0, v) }) < 1e-6)
            #expect(relativeError(dv, numericGradient(v) { loss(q, k, $0) }) < 1e-6)
        }
    }

    @Test("softmax cross-entropy returns the summed loss and its scaled gradient")
    func crossEntropy() {
        var rng = SplitMix64(seed: 5)
        let (rows, n) = (4, 7)
        let logits = randomArray(rows * n, &rng, scale: 3), targets = [0, 6, 3, 3]
        func loss(_ z: [Double]) -> Double {
            var total = 0.0
            for r in 0..<rows {
                let row = Array(z[(r * n)..<((r + 1) * n)])
                let m = row.max()!
                total += log(row.map { exp($0 - m) }.reduce(0, +)) + m - row[targets[r]]
            }
            return total
        }
        var z = logits
        let value = SASRecOps.softmaxCrossEntropy(logits: &z, targets: targets, n: n, gradScale: 1.0)
        #expect(abs(value - loss(logits)) < 1e-12)
        #expect(relativeError(z, numericGradient(logits, loss)) < 1e-6)
    }

    static func tinyConfig(loss: SASRecLoss, dropout: Double) -> SASRecConfig {
        var c = SASRecConfig()
        c.hidden = 8; c.heads = 2; c.inner = 12; c.blocks = 2; c.maxLength = 6
        c.hiddenDropout = dropout; c.attentionDropout = dropout
        c.initStd = 0.5; c.loss = loss; c.layerNormEps = 1e-12
        return c
    }

    @Test("whole model: every parameter's gradient matches finite differences (CE and BCE, with and without dropout)",
          arguments: [(SASRecLoss.ce, 0.0), (SASRecLoss.ce, 0.3), (SASRecLoss.bce, 0.2)])
    func wholeModel(loss: SASRecLoss, dropout: Double) {
        let config = Self.tinyConfig(loss: loss, dropout: dropout)
        var model = SASRecModel<Double>(config: config, numItems: 7)
        // Make biases and norms non-trivial so their gradients are exercised.
        var rng = SplitMix64(seed: 9)
        for t in model.layout.tensors where t.shape.count == 1 {
            for i in 0..<t.shape[0] { model.parameters[t.offset + i] += rng.nextGaussian() * 0.3 }
        }
        let batch = SASRecBatch(sequences: [[0, 3, 5], [6], [2, 2, 4, 1]])
        let targets = [3, 5, 1, 0, 2, 4, 1, 6]
        func lossAt(_ p: [Double]) -> Double {
            var m = model
            m.parameters = p
            var r: SplitMix64? = SplitMix64(seed: 77)
            var g = [Double](repeating: 0, count: p.count)
            return m.lossAndGradient(batch, targets: targets, rng: &r, grads: &g)
        }
        var r: SplitMix64? = SplitMix64(seed: 77)
        var grads = [Double](repeating: 0, count: model.parameters.count)
        _ = model.lossAndGradient(batch, targets: targets, rng: &r, grads: &grads)
        let numeric = numericGradient(model.parameters, h: 1e-5, lossAt)
        for t in model.layout.tensors {
            let range = t.offset..<(t.offset + t.shape.reduce(1, *))
            let err = relativeError(Array(grads[range]), Array(numeric[range]))
            #expect(err < 1e-6, "\(t.name): relative error \(err)")
        }
        // The padding row never receives a gradient.
        #expect(grads[0..<config.hidden].allSatisfy { $0 == 0 })
    }
}
