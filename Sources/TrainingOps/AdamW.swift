// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW does it.
//
// Per element, at the tensor's step t (1-based):
//   p ← p·(1 − lr·λ)                       (only tensors with decay = true: per-tensor decay mask)
//   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
//   p ← p − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε)     (two roundings: BiasCorrection)
// Defaults are the public code's (docs/public-code.md §5.4): β (0.9, 0.999), ε 1e-8,
// λ 0 (HDRec); SASRec passes its config's decay, and with λ = 0 this is plain Adam (Kingma & Ba),
// RecBole's SASRec optimizer. Only the selected tensors move (and advance their step count), so a DLA
// phase leaves the other adapter's parameters and moments bit-identical, as PyTorch skips
// parameters without grad. An element whose gradient and moments are all zero (SASRec's padding
// row, items not yet seen) only decays: m and v stay 0 and the step is 0/ε = 0.
// Checked against Tools/recsys_adamw_golden.py (TrainingOpsTests/OptimTests.swift).

/// The AdamW update rule.
public struct AdamW: Sendable, Equatable, Codable {
    public var beta1: Double, beta2: Double, eps: Double, weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }

    /// Where the bias corrections 1 − β1^t and 1 − β2^t enter. The two are the same update in
    /// exact arithmetic and round differently in Float; each model's fixed-seed regression run
    /// (scripts/regression_runs.sh) pins its own, so both stay.
    public enum BiasCorrection: Sendable {
        /// torch.optim.AdamW's: folded into the step size lr/(1 − β1^t) and the scale
        /// 1/√(1 − β2^t) of √v, both computed in Double (HDRec).
        case stepSize
        /// Kingma & Ba's Algorithm 1: corrected moments m̂ = m/(1 − β1^t) and v̂ = v/(1 − β2^t)
        /// per element, with β, lr and λ rounded to T first (SASRec).
        case moments
    }

    /// One update of the selected tensors with learning rate `lr`, from the gradients in `store`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func step<T: TrainScalar>(_ store: ParameterStore<T>, learningRate lr: Double,
                                     where select: (ParameterSpec) -> Bool = { _ in true }) {
        for (index, s) in store.layout.specs.enumerated() where select(s) {
            store.steps[index] += 1
            update(parameters: store.parameters.pointer + s.offset, gradients: store.gradients.pointer + s.offset,
                   m: store.m.pointer + s.offset, v: store.v.pointer + s.offset, count: s.count,
                   step: store.steps[index], learningRate: lr, decay: s.decay, biasCorrection: .stepSize)
        }
    }

    /// The update of one span of `count` elements at its step t (1-based): the core every caller
    /// shares (a ParameterStore's tensors, SASRec's flat buffer through AdamWState).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public func update<T: TrainScalar>(parameters p: UnsafeMutablePointer<T>, gradients g: UnsafePointer<T>,
                                       m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>, count: Int,
                                       step: Int, learningRate lr: Double, decay: Bool, biasCorrection: BiasCorrection) {
        let b1 = T(beta1), b2 = T(beta2), e = T(eps)
        switch biasCorrection {
        case .stepSize:
            let t = Double(step)
            let stepSize = T(lr / (1 - pow(beta1, t)))
            let invBC2Sqrt = T(1 / (1 - pow(beta2, t)).squareRoot())
            let decayFactor = T(decay ? 1 - lr * weightDecay : 1)
            for i in 0..<count {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] = p[i] * decayFactor - stepSize * m[i] / (v[i].squareRoot() * invBC2Sqrt + e)
            }
        case .moments:
            let lrT = T(lr)
            let c1 = 1 - T(pow(Double(b1), Double(step)))
            let c2 = 1 - T(pow(Double(b2), Double(step)))
            let decayFactor = decay ? 1 - lrT * T(weightDecay) : 1
            for i in 0..<count {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                p[i] = p[i] * decayFactor - lrT * (m[i] / c1) / ((v[i] / c2).squareRoot() + e)
            }
        }
    }
}

/// AdamW's moments and step count for one flat buffer that is not a ParameterStore (SASRec's
/// parameters): every element decays and steps together.
public struct AdamWState<T: TrainScalar>: Sendable {
    public var rule: AdamW
    public var biasCorrection: AdamW.BiasCorrection
    public private(set) var step = 0
    public private(set) var m: [T]
    public private(set) var v: [T]

    public init(count: Int, rule: AdamW, biasCorrection: AdamW.BiasCorrection) {
        self.rule = rule
        self.biasCorrection = biasCorrection
        m = [T](repeating: 0, count: count)
        v = [T](repeating: 0, count: count)
    }

    /// One update of `parameters` from `gradients` (same length as the state).
    public mutating func update(_ parameters: inout [T], gradients: [T], learningRate: Double) {
        precondition(parameters.count == m.count && gradients.count == m.count, "AdamWState: buffer sizes differ")
        step += 1
        let (rule, step, biasCorrection) = (self.rule, self.step, self.biasCorrection)
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                parameters.withUnsafeMutableBufferPointer { pb in
                    gradients.withUnsafeBufferPointer { gb in
                        rule.update(parameters: pb.baseAddress!, gradients: gb.baseAddress!, m: mb.baseAddress!,
                                    v: vb.baseAddress!, count: mb.count, step: step, learningRate: learningRate, decay: true,
                                    biasCorrection: biasCorrection)
                    }
                }
            }
        }
    }
}

import Foundation
