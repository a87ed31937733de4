// Q5_0, Q5_1 and the K-quants against the python gguf package (Tools/quant_golden_kquants.py):
// HDRec's reference dequantizer and its SIMD row decoder (the matrix products' path) must
// both reproduce gguf.quants.dequantize bit for bit from the same bytes.
import Foundation
import Testing
@testable import Quant

let kquantGoldenTypes: [GGMLType] = [.q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

@Suite("Q5 and K-quants vs gguf.quants")
struct KQuantGoldenTests {
    struct Golden { var count: Int; var bytes: [UInt8]; var values: [Float] }

    static func hex(_ s: String) -> [UInt8] {
        let u = Array(s.utf8)
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        return stride(from: 0, to: u.count, by: 2).map { nibble(u[$0]) << 4 | nibble(u[$0 + 1]) }
    }

    static func load(_ type: GGMLType) throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gguf-kquants.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let t = try #require((root["types"] as? [String: [String: Any]])?[type.description])
        let raw = hex(try #require(t["dequantized"] as? String))
        let values = stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
        return Golden(count: try #require(t["count"] as? Int), bytes: hex(try #require(t["bytes"] as? String)), values: values)
    }

    @Test("reference dequantize equals gguf.quants.dequantize bit for bit", arguments: kquantGoldenTypes)
    func dequantizeMatches(type: GGMLType) throws {
        let g = try Self.load(type)
        let ours = try g.bytes.withUnsafeBytes { try Quantization.dequantize($0, as: type, count: g.count) }
        #expect(ours.map(\.bitPattern) == g.values.map(\.bitPattern))
    }

    @Test("SIMD row decoder equals gguf.quants.dequantize bit for bit", arguments: kquantGoldenTypes)
    func decoderMatches(type: GGMLType) throws {
        let g = try Self.load(type)
        // One row per block: decodes every block through the matrix path's decoder.
        let rows = g.count / type.blockSize
        var out = [Float](repeating: .nan, count: g.count)
        try g.bytes.withUnsafeBytes { raw in
            let w = try WeightMatrix(type: type, rows: rows, cols: type.blockSize, bytes: raw)
            out.withUnsafeMutableBufferPointer { QuantizedMatMul.dequantize(w, into: $0.baseAddress!) }
        }
        #expect(out.map(\.bitPattern) == g.values.map(\.bitPattern))
    }

    @Test("scalar lane access equals the group decode", arguments: kquantGoldenTypes)
    func scalarMatches(type: GGMLType) throws {
        let g = try Self.load(type)
        let got: [Float] = g.bytes.withUnsafeBytes { raw in
            (0 ..< g.count).map { i in
                switch type {
                case .q5_0: return Q5_0Decoder.scalar(raw.baseAddress!, i)
                case .q5_1: return Q5_1Decoder.scalar(raw.baseAddress!, i)
                case .q2_K: return Q2_KDecoder.scalar(raw.baseAddress!, i)
                case .q3_K: return Q3_KDecoder.scalar(raw.baseAddress!, i)
                case .q4_K: return Q4_KDecoder.scalar(raw.baseAddress!, i)
                case .q5_K: return Q5_KDecoder.scalar(raw.baseAddress!, i)
                default: return Q6_KDecoder.scalar(raw.baseAddress!, i)
                }
            }
        }
        #expect(got.map(\.bitPattern) == g.values.map(\.bitPattern))
    }

    @Test("types HDRec cannot decode parse by name but are refused with a clear error")
    func undecodableTypes() throws {
        #expect(GGMLType(name: "Q4_K_m") == nil)
        #expect(GGMLType(name: "Q4_K") == .q4_K && GGMLType(name: "iq2_xxs") == .iq2_xxs)
        #expect(GGMLType.q8_K.rowSize(512) == 584 && GGMLType.iq4_xs.rowSize(256) == 136)
        #expect(throws: QuantError.unsupportedType(type: .iq2_xxs, operation: "decode")) {
            try [UInt8](repeating: 0, count: 66).withUnsafeBytes { try Quantization.dequantize($0, as: .iq2_xxs, count: 256) }
        }
        #expect(throws: QuantError.unsupportedType(type: .q4_K, operation: "encode as")) {
            try Quantization.quantize([Float](repeating: 0, count: 256), as: .q4_K)
        }
        #expect(throws: QuantError.unsupportedType(type: .tq1_0, operation: "decode")) {
            try [UInt8](repeating: 0, count: 54).withUnsafeBytes { try WeightMatrix(type: .tq1_0, rows: 1, cols: 256, bytes: $0) }
        }
    }
}
