// Finite-difference check (central differences in Double) of SASRec's whole backward
// pass on a tiny configuration, with dropout masks held fixed by reseeding. Each op's own
// check is in TrainingOpsTests (SASRecOpsTests.swift, LinearDropoutTests.swift).
import Foundation
import Support
import Testing
@testable import RecSys
import TrainingOps

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

@Suite("SASRec gradient check")
struct GradientCheckTests {
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
            var g = [Double](repeating: 0, count: p.count)
            return m.lossAndGradient(batch, targets: targets, dropoutSeed: 77, grads: &g)
        }
        var grads = [Double](repeating: 0, count: model.parameters.count)
        _ = model.lossAndGradient(batch, targets: targets, dropoutSeed: 77, grads: &grads)
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
