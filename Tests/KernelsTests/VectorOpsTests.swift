// Vector ops against straightforward Double loops, with lengths around the SIMD
// widths; softmax stability with huge and masked inputs.
import Testing
import Foundation
@testable import Kernels

@Suite("Vector ops")
struct VectorOpsTests {
    let lengths = [0, 1, 7, 8, 9, 31, 32, 33, 67, 576]

    @Test("dot matches a Double sum")
    func dot() {
        for n in lengths {
            let x = randomFloats(n, seed: 1), y = randomFloats(n, seed: 2)
            let want = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let got = Vector.dot(x, y, count: n)
            #expect(abs(Double(got) - want) <= 1e-5 * Double(max(n, 1)), "n=\(n)")
        }
    }

    @Test("axpy, scale, add and mul compute elementwise results")
    func elementwise() {
        for n in lengths {
            let x = randomFloats(n, seed: 3), y0 = randomFloats(n, seed: 4)
            var y = y0
            Vector.axpy(0.5, x, &y, count: n)
            #expect(y == zip(x, y0).map { $1 + 0.5 * $0 })
            var s = x
            Vector.scale(&s, by: -3, count: n)
            #expect(s == x.map { $0 * -3 })
            var sum = [Float](repeating: 0, count: n)
            Vector.add(x, y0, into: &sum, count: n)
            #expect(sum == zip(x, y0).map { $0 + $1 })
            var prod = [Float](repeating: 0, count: n)
            Vector.mul(x, y0, into: &prod, count: n)
            #expect(prod == zip(x, y0).map { $0 * $1 })
        }
    }

    @Test("rmsNorm scales by the reciprocal RMS and the weight")
    func rmsNorm() {
        for n in lengths where n > 0 {
            let x = randomFloats(n, seed: 5), w = randomFloats(n, seed: 6)
            var out = [Float](repeating: 0, count: n)
            let inv = Vector.rmsNorm(x, weight: w, eps: 1e-5, into: &out, count: n)
            let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
            let want = 1 / (ms + 1e-5).squareRoot()
            #expect(abs(Double(inv) - want) <= 1e-5 * want)
            for i in 0..<n { #expect(abs(Double(out[i]) - Double(x[i]) * want * Double(w[i])) <= 1e-5) }
            var plain = [Float](repeating: 0, count: n)
            Vector.rmsNorm(x, weight: nil, eps: 1e-5, into: &plain, count: n)
            for i in 0..<n { #expect(abs(Double(plain[i]) - Double(x[i]) * want) <= 1e-5) }
        }
    }

    @Test("softmax sums to one, is shift-invariant, survives huge inputs and masked entries")
    func softmax() {
        let x: [Float] = [1000, 999, -.infinity, 998, 0]
        var out = [Float](repeating: 0, count: x.count)
        let lse = Vector.softmax(x, into: &out, count: x.count)
        let e = [1.0, exp(-1.0), 0, exp(-2.0), 0]
        let z = e.reduce(0, +)
        for i in 0..<x.count { #expect(abs(Double(out[i]) - e[i] / z) <= 1e-6) }
        #expect(out[2] == 0)
        #expect(abs(Double(lse) - (1000 + log(z))) <= 1e-3)
        var masked = [Float](repeating: 7, count: 3)
        let m = Vector.softmax([-.infinity, -.infinity, -.infinity], into: &masked, count: 3)
        #expect(masked == [0, 0, 0])
        #expect(m == -.infinity)
        // In place, and against a direct formula on moderate values.
        var v = randomFloats(67, seed: 9, range: -5...5)
        let v0 = v
        v.withUnsafeMutableBufferPointer { Vector.softmax($0.baseAddress!, into: $0.baseAddress!, count: 67) }
        let total = v0.reduce(0.0) { $0 + exp(Double($1)) }
        for i in 0..<67 { #expect(abs(Double(v[i]) - exp(Double(v0[i])) / total) <= 1e-6) }
    }

    @Test("silu and siluMul follow x·sigmoid(x)")
    func silu() {
        let x = randomFloats(67, seed: 11, range: -8...8), up = randomFloats(67, seed: 12)
        var out = [Float](repeating: 0, count: 67)
        Vector.silu(x, into: &out, count: 67)
        for i in 0..<67 {
            let want = Double(x[i]) / (1 + exp(-Double(x[i])))
            #expect(abs(Double(out[i]) - want) <= 1e-5)
        }
        Vector.siluMul(x, up, into: &out, count: 67)
        for i in 0..<67 {
            let want = Double(x[i]) / (1 + exp(-Double(x[i]))) * Double(up[i])
            #expect(abs(Double(out[i]) - want) <= 1e-5)
        }
        #expect(Vector.max([3, -1, 9, 2], count: 4) == 9)
    }
}
