// A dense layer y = x·Wᵀ + b over row-major buffers (PyTorch `nn.Linear`
// layout: W is [out, in]), the one product the heads need, on Kernels' MatMul
// (tiled, threaded, bitwise identical for any thread count).
import Foundation
import Kernels

enum Dense {
    /// y[m, n] = x[m, k] · w[n, k]ᵀ (+ bias[n]).
    static func linear(_ x: [Float], rows m: Int, weight w: [Float], bias: [Float]?, out n: Int, in k: Int) -> [Float] {
        precondition(x.count == m * k && w.count == n * k && (bias?.count ?? n) == n, "Dense.linear shape")
        var y = [Float](repeating: 0, count: m * n)
        if let bias {
            for i in 0 ..< m { y.replaceSubrange(i * n ..< (i + 1) * n, with: bias) }
        }
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    guard let yb = yp.baseAddress, let xb = xp.baseAddress, let wb = wp.baseAddress else { return }
                    MatMul.linear(yb, xb, wb, m: m, n: n, k: k, accumulate: bias != nil)
                }
            }
        }
        return y
    }

    /// SiLU in place: x · σ(x).
    static func silu(_ x: inout [Float]) {
        for i in x.indices {
            let v = x[i]
            x[i] = v / (1 + exp(-v))
        }
    }
}
