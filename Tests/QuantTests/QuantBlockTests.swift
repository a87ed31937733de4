// Block layouts and reference arithmetic: hand-built blocks decode to exactly the
// values the ggml layout defines (fp16 scale first, low nibble = value j, high
// nibble = value j + 16, Q4_0 offset 8), round-trip error bounds per type, the
// reference dot products, half-precision rounding, and checked sizes.
import Foundation
import Testing
@testable import Quant

@Suite("Quant block formats")
struct QuantBlockTests {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }

    static func dequant(_ bytes: [UInt8], _ type: GGMLType, _ count: Int) throws -> [Float] {
        try bytes.withUnsafeBytes { try Quantization.dequantize($0, as: type, count: count) }
    }

    @Test("Q4_0 hand-built block: (q - 8) * d, nibble order j / j+16")
    func q4_0Layout() throws {
        // d = 0.5 (fp16 0x3800); qs[j] = j (low) | (15 - j) << 4 (high).
        let qs: [UInt8] = (0 ..< 16).map { j -> UInt8 in UInt8(j) | UInt8(15 - j) << 4 }
        let block = Self.le16(0x3800) + qs
        let v = try Self.dequant(block, .q4_0, 32)
        let low: [Float] = (0 ..< 16).map { j -> Float in Float(j - 8) * 0.5 }
        let high: [Float] = (0 ..< 16).map { j -> Float in Float(7 - j) * 0.5 }
        #expect(Array(v[0 ..< 16]) == low)
        #expect(Array(v[16 ..< 32]) == high)
    }

    @Test("Q4_1 hand-built block: q * d + m")
    func q4_1Layout() throws {
        // d = 0.25 (0x3400), m = -1 (0xBC00); low nibble j % 16, high nibble 3.
        let qs: [UInt8] = (0 ..< 16).map { j -> UInt8 in UInt8(j) | 3 << 4 }
        let block = Self.le16(0x3400) + Self.le16(0xBC00) + qs
        let v = try Self.dequant(block, .q4_1, 32)
        let low: [Float] = (0 ..< 16).map { j -> Float in Float(j) * 0.25 - 1 }
        #expect(Array(v[0 ..< 16]) == low)
        #expect(Array(v[16 ..< 32]) == Array(repeating: -0.25, count: 16))
    }

    @Test("Q8_0 hand-built block: q * d with signed bytes")
    func q8_0Layout() throws {
        let qs: [UInt8] = (0 ..< 32).map { j -> UInt8 in UInt8(bitPattern: Int8(j * 8 - 128)) }
        let expected: [Float] = (0 ..< 32).map { j -> Float in Float(j * 8 - 128) }
        #expect(try Self.dequant(Self.le16(0x3C00) + qs, .q8_0, 32) == expected)
    }

    @Test("Q4_0 reference quantization of a known block")
    func q4_0Quantize() throws {
        // max-magnitude value -8 gives d = 1; x = j - 8 for j < 16 maps to q = j.
        var x: [Float] = (0 ..< 32).map { j -> Float in Float(j % 16) - 8 }
        x[31] = 7.4  // -> trunc(7.4 + 8.5) = 15
        let q = try Quantization.quantize(x, as: .q4_0)
        #expect(Array(q[0 ..< 2]) == Self.le16(0x3C00))
        #expect(q[2] == 0x00 && q[3] == 0x11 && q[17] == 0xFF)
    }

    @Test("round-trip RMSE bounds per type on 0.1 + 2cos(i + offset)", arguments: [
        (GGMLType.f32, Float(0)), (.f16, 1e-3), (.bf16, 8e-3), (.q8_0, 8e-3), (.q4_0, 0.1), (.q4_1, 0.1),
    ])
    func roundTrip(type: GGMLType, bound: Float) throws {
        for offset in [0.0, 0.5, 3.0] as [Float] {
            let x: [Float] = (0 ..< 4096).map { i -> Float in 0.1 + 2 * cos(Float(i) + offset) }
            let q = try Quantization.quantize(x, as: type)
            let back = try Self.dequant(q, type, x.count)
            var sq: Float = 0
            for i in 0 ..< x.count { sq += (x[i] - back[i]) * (x[i] - back[i]) }
            let rmse = (sq / Float(x.count)).squareRoot()
            #expect(rmse <= bound, "\(type) offset \(offset): rmse \(rmse)")
            if type != .f32 { #expect(rmse > 0) }
        }
    }

    @Test("reference dot with f32 equals dequantize-then-dot", arguments: GGMLType.allCases.filter(\.isDecodable))
    func dotF32(type: GGMLType) throws {
        let x: [Float] = (0 ..< 256).map { i -> Float in sin(Float(i) * 0.3) }
        let q = try randomWeight(type, rows: 1, cols: 256, seed: 7).bytes
        let deq = try Self.dequant(q, type, 256)
        let expected = zip(deq, x).map(*).reduce(0, +)
        let got = try q.withUnsafeBytes { r in try x.withUnsafeBufferPointer { try Quantization.dot(r, as: type, $0) } }
        #expect(abs(got - expected) <= 1e-3 * max(1, abs(expected)))
    }

    @Test("block x Q8_0 / Q8_1 activation dots equal the dequantized dot")
    func dotQ8() throws {
        let n = 256
        let w: [Float] = (0 ..< n).map { i -> Float in 0.1 + 2 * cos(Float(i) + 0.25) }
        let a: [Float] = (0 ..< n).map { i -> Float in cos(Float(i) * 1.3) - 0.2 }
        let a8 = try Quantization.quantize(a, as: .q8_0)
        let a8deq = try Self.dequant(a8, .q8_0, n)
        var a81 = [UInt8](repeating: 0, count: n / 32 * BlockQ8_1.bytesPerBlock)
        a.withUnsafeBufferPointer { src in a81.withUnsafeMutableBytes { BlockQ8_1.quantize(src, into: $0.baseAddress!) } }
        var a81deq = [Float](repeating: 0, count: n)
        a81.withUnsafeBytes { r in a81deq.withUnsafeMutableBufferPointer { BlockQ8_1.dequantize(r.baseAddress!, into: $0) } }
        #expect(a81deq == a8deq)  // same scale and rounding; Q8_1 only adds the block sum
        func ref(_ type: GGMLType, _ act: [Float]) throws -> Float {
            zip(try Self.dequant(try Quantization.quantize(w, as: type), type, n), act).map(*).reduce(0, +)
        }
        func close(_ x: Float, _ y: Float) -> Bool { abs(x - y) <= 2e-3 * max(1, abs(y)) }
        let q8 = try Quantization.quantize(w, as: .q8_0)
        let q40 = try Quantization.quantize(w, as: .q4_0)
        let q41 = try Quantization.quantize(w, as: .q4_1)
        let d8 = q8.withUnsafeBytes { w in a8.withUnsafeBytes { BlockQ8_0.dotQ8_0(w.baseAddress!, $0.baseAddress!, count: n) } }
        let d40 = q40.withUnsafeBytes { w in a8.withUnsafeBytes { BlockQ4_0.dotQ8_0(w.baseAddress!, $0.baseAddress!, count: n) } }
        let d41 = q41.withUnsafeBytes { w in a81.withUnsafeBytes { BlockQ4_1.dotQ8_1(w.baseAddress!, $0.baseAddress!, count: n) } }
        let d41b = q41.withUnsafeBytes { w in a8.withUnsafeBytes { BlockQ4_1.dotQ8_0(w.baseAddress!, $0.baseAddress!, count: n) } }
        #expect(close(d8, try ref(.q8_0, a8deq)))
        #expect(close(d40, try ref(.q4_0, a8deq)))
        #expect(close(d41b, try ref(.q4_1, a8deq)))
        // Q8_1's s is itself fp16-rounded, so allow its rounding on top.
        #expect(abs(d41 - (try ref(.q4_1, a81deq))) <= 2e-2)
        // And all of them stay close to the exact f32 product.
        // And each stays within the triangle bound of the exact f32 product:
        // |sum(w'a' - wa)| <= sum(|w' - w||a'| + |w||a' - a|).
        let exact: Float = zip(w, a).map(*).reduce(0, +)
        for (d, type) in [(d8, GGMLType.q8_0), (d40, .q4_0), (d41b, .q4_1)] {
            let wq = try Self.dequant(try Quantization.quantize(w, as: type), type, n)
            var bound: Float = 0
            for i in 0 ..< n { bound += abs(wq[i] - w[i]) * abs(a8deq[i]) + abs(w[i]) * abs(a8deq[i] - a[i]) }
            #expect(abs(d - exact) <= bound * 1.01 + 1e-3, "\(type)")
        }
    }

    @Test("f16 and bf16 conversions round to nearest even like ggml")
    func halfPrecision() {
        #expect(HalfPrecision.f32ToF16(1) == 0x3C00)
        #expect(HalfPrecision.f32ToF16(65504) == 0x7BFF)
        #expect(HalfPrecision.f32ToF16(65520) == 0x7C00)  // rounds up to +inf
        #expect(HalfPrecision.f32ToF16(1.0 / 3) == 0x3555)
        #expect(HalfPrecision.f32ToF16(Float(bitPattern: 0x3380_0000)) == 0x0001)  // 2^-24, smallest subnormal
        #expect(HalfPrecision.f16ToF32(0x8001) == -Float(bitPattern: 0x3380_0000))
        #expect(HalfPrecision.f32ToBF16(1) == 0x3F80)
        #expect(HalfPrecision.f32ToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie -> even
        #expect(HalfPrecision.f32ToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie -> even (up)
        #expect(HalfPrecision.f32ToBF16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfPrecision.f32ToBF16(.infinity) == 0x7F80)
        #expect(HalfPrecision.f32ToBF16(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)  // NaN kept a (quiet) NaN
        #expect(HalfPrecision.bf16ToF32(0xC049) == -3.140625)
    }

    @Test("checked entry points reject bad sizes; NaN and inf inputs never trap")
    func checkedSizes() throws {
        #expect(throws: QuantError.countNotBlockMultiple(type: .q8_0, count: 31)) {
            try Quantization.quantize([Float](repeating: 1, count: 31), as: .q8_0)
        }
        #expect(throws: QuantError.byteCountMismatch(type: .q4_1, count: 32, needed: 20, available: 19)) {
            try [UInt8](repeating: 0, count: 19).withUnsafeBytes { try Quantization.dequantize($0, as: .q4_1, count: 32) }
        }
        var bad = [Float](repeating: 1, count: 32)
        bad[3] = .nan
        bad[7] = .infinity
        for t in GGMLType.allCases where t.isQuantizable { _ = try Quantization.quantize(bad, as: t) }
    }
}
