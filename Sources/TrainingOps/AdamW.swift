// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW does it.
//
// Per element, at the tensor's step t (1-based):
//   p ← p·(1 − lr·λ)                       (only tensors with decay = true: per-tensor decay mask)
//   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
// Defaults are the public code's (docs/public-code.md §5.4): β (0.9, 0.999), ε 1e-8,
// λ 0. Only the selected tensors move (and advance their step count), so a DLA phase leaves the
// other adapter's parameters and moments bit-identical, as PyTorch skips parameters without grad.

/// The AdamW update rule.
public struct AdamW: Sendable, Equatable, Codable {
    public var beta1: Double, beta2: Double, eps: Double, weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }

    /// One update of the selected tensors with learning rate `lr`, from the gradients in `store`.
    public func step<T: TrainScalar>(_ store: ParameterStore<T>, learningRate lr: Double,
                                     where select: (ParameterSpec) -> Bool = { _ in true }) {
        for (index, s) in store.layout.specs.enumerated() where select(s) {
            store.steps[index] += 1
            let t = Double(store.steps[index])
            let stepSize = T(lr / (1 - pow(beta1, t)))
            let invBC2Sqrt = T(1 / (1 - pow(beta2, t)).squareRoot())
            let decay = T(s.decay ? 1 - lr * weightDecay : 1)
            let b1 = T(beta1), b2 = T(beta2), e = T(eps)
            let p = store.parameters.pointer + s.offset, g = store.gradients.pointer + s.offset
            let m = store.m.pointer + s.offset, v = store.v.pointer + s.offset
            for i in 0..<s.count {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] = p[i] * decay - stepSize * m[i] / (v[i].squareRoot() * invBC2Sqrt + e)
            }
        }
    }
}

import Foundation
