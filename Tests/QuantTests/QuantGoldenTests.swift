// Block formats against the python gguf package (Tools/quant_golden.py): HDRec's
// dequantizer must reproduce gguf.quants.dequantize exactly from the same bytes, and
// its reference quantizer must produce the same bytes as gguf.quants.quantize.
import Foundation
import Testing
@testable import Quant

@Suite("Quant vs gguf.quants")
struct QuantGoldenTests {
    struct Golden {
        var input: [Float]
        var bytes: [String: [UInt8]]
        var dequantized: [String: [Float]]
    }

    static func load() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gguf-quants.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let input = try #require(root["input"] as? [Double]).map(Float.init)
        let types = try #require(root["types"] as? [String: [String: Any]])
        var g = Golden(input: input, bytes: [:], dequantized: [:])
        for (name, t) in types {
            let hex = Array(try #require(t["bytes"] as? String).utf8)
            g.bytes[name] = stride(from: 0, to: hex.count, by: 2).map { i in
                UInt8(String(decoding: hex[i ..< i + 2], as: UTF8.self), radix: 16) ?? 0
            }
            g.dequantized[name] = try #require(t["dequantized"] as? [Double]).map(Float.init)
        }
        return g
    }

    @Test("dequantize equals gguf.quants.dequantize bit for bit", arguments: GGMLType.allCases.filter(\.isQuantizable))
    func dequantizeMatches(type: GGMLType) throws {
        let g = try Self.load()
        guard type != .f32 else { return }
        let bytes = try #require(g.bytes[type.description])
        let expected = try #require(g.dequantized[type.description])
        let ours = try bytes.withUnsafeBytes { try Quantization.dequantize($0, as: type, count: g.input.count) }
        #expect(ours.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("reference quantization produces gguf.quants.quantize's bytes", arguments: GGMLType.allCases.filter(\.isQuantizable))
    func quantizeMatches(type: GGMLType) throws {
        let g = try Self.load()
        guard type != .f32 else { return }
        let expected = try #require(g.bytes[type.description])
        #expect(try Quantization.quantize(g.input, as: type) == expected)
    }
}
