// Vector ops against straightforward Double loops, with lengths around the SIMD
// widths; softmax stability with huge inputs; the fast exp against libm.
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

    @Test("softmax sums to one, survives huge inputs, applies its scale, and matches the definition")
    func softmax() {
        var x: [Float] = [1000, 999, 998, 0]
        x.withUnsafeMutableBufferPointer { Vector.softmax($0.baseAddress!, count: 4) }
        let e = [1.0, exp(-1.0), exp(-2.0), 0]
        let z = e.reduce(0, +)
        for i in 0..<4 { #expect(abs(Double(x[i]) - e[i] / z) <= 1e-6) }
        for n in [1, 7, 8, 9, 67] {
            var v = randomFloats(n, seed: 9, range: -5...5)
            let v0 = v
            v.withUnsafeMutableBufferPointer { Vector.softmax($0.baseAddress!, count: n, scale: 0.5) }
            let total = v0.reduce(0.0) { $0 + exp(0.5 * Double($1)) }
            for i in 0..<n { #expect(abs(Double(v[i]) - exp(0.5 * Double(v0[i])) / total) <= 1e-6) }
        }
    }

    @Test("the fast exp is within 3e-7 relative of libm over Float's normal range and saturates outside it")
    func fastExp() {
        var x: Float = -87
        while x < 88 {
            let exact = Foundation.exp(Double(x))
            #expect(abs(Double(Vector.fastExp(x)) - exact) <= 3e-7 * exact, "exp(\(x))")
            x += 0.0137
        }
        #expect(Vector.fastExp(-200) == Vector.fastExp(-87.3))
        #expect(Vector.fastExp(200).isFinite)
        var row: [Float] = [-1, 0, 1, 2, 3, 4, 5, 6, 7]
        row.withUnsafeMutableBufferPointer { Vector.fastExp($0.baseAddress!, count: 9) }
        #expect(row == [-1, 0, 1, 2, 3, 4, 5, 6, 7].map { Vector.fastExp(Float($0)) })
    }

    @Test("siluMul (in place) follows x·sigmoid(x)·up")
    func siluMul() {
        let x = randomFloats(67, seed: 11, range: -8...8), up = randomFloats(67, seed: 12)
        var out = x
        Vector.siluMul(&out, up, count: 67)
        for i in 0..<67 {
            let want = Double(x[i]) / (1 + exp(-Double(x[i]))) * Double(up[i])
            #expect(abs(Double(out[i]) - want) <= 1e-5)
        }
    }
}
