// Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019) over a
// flat parameter buffer; with weight decay 0 it is plain Adam (Kingma & Ba),
// RecBole's SASRec optimizer. Checked against Tools/recsys_adamw_golden.py.

/// AdamW state for one flat parameter buffer.
public struct AdamW<T: SASRecScalar>: Sendable {
    public var learningRate: T
    public var beta1: T = 0.9
    public var beta2: T = 0.999
    public var eps: T = 1e-8
    public var weightDecay: T
    public private(set) var step = 0
    var m: [T]
    var v: [T]

    public init(count: Int, learningRate: T, weightDecay: T = 0) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        m = [T](repeating: 0, count: count)
        v = [T](repeating: 0, count: count)
    }

    /// One update of `parameters` from `grads` (same length).
    public mutating func update(_ parameters: inout [T], grads: [T]) {
        step += 1
        let c1 = 1 - T(Foundation.pow(Double(beta1), Double(step)))
        let c2 = 1 - T(Foundation.pow(Double(beta2), Double(step)))
        let lr = learningRate, b1 = beta1, b2 = beta2, e = eps, decay = 1 - learningRate * weightDecay
        for i in 0..<parameters.count {
            let g = grads[i]
            // Untouched so far (padding row, items never seen): Adam's step is exactly 0, but
            // the decoupled decay still applies, as in torch.optim.AdamW.
            if g == 0 && m[i] == 0 && v[i] == 0 {
                if decay != 1 { parameters[i] *= decay }
                continue
            }
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            let mh = m[i] / c1, vh = v[i] / c2
            parameters[i] = parameters[i] * decay - lr * mh / (vh.squareRoot() + e)
        }
    }
}

import Foundation
