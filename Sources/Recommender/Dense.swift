// A dense layer y = x·Wᵀ + b over row-major buffers, the one matrix product the
// heads need (PyTorch `nn.Linear` layout: W is [out, in]). Row by row, and
// each output is a SIMD8 dot product. Single-threaded for now: the heads cost
// well under the decoder passes (docs/bundle.md); Kernels' MatMul can replace it.
import Foundation

enum Dense {
    /// y[m, n] = x[m, k] · w[n, k]ᵀ (+ bias[n]).
    static func linear(_ x: [Float], rows m: Int, weight w: [Float], bias: [Float]?, out n: Int, in k: Int) -> [Float] {
        precondition(x.count == m * k && w.count == n * k && (bias?.count ?? n) == n, "Dense.linear shape")
        var y = [Float](repeating: 0, count: m * n)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    for i in 0 ..< m {
                        let xr = xp.baseAddress! + i * k
                        for j in 0 ..< n {
                            var v = dot(xr, wp.baseAddress! + j * k, k)
                            if let bias { v += bias[j] }
                            yp[i * n + j] = v
                        }
                    }
                }
            }
        }
        return y
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ k: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var t = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while t + 8 <= k {
            let va = ra.loadUnaligned(fromByteOffset: t * 4, as: SIMD8<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: t * 4, as: SIMD8<Float>.self)
            acc.addProduct(va, vb)
            t += 8
        }
        var s = acc.sum()
        while t < k {
            s += a[t] * b[t]
            t += 1
        }
        return s
    }

    /// SiLU in place: x · σ(x).
    static func silu(_ x: inout [Float]) {
        for i in x.indices {
            let v = x[i]
            x[i] = v / (1 + exp(-v))
        }
    }
}
