// The factorized IPL and the anchored ID pass's γ in heads.safetensors (format 2): a round
// trip through the file keeps every value and the form, the served IPL computes
// (h·Wpᵀ + bp)·Eᵀ + b, and every bad tensor is refused with its name.
import Foundation
import Testing
@testable import HDRecInference

/// Named tensors of small factorized heads with a gate: D 3, H_p 4, C 5, K 6, I 7.
func factorizedTensors(gate: Float? = 0.25, seed: UInt64 = 5) -> [NamedTensor] {
    var g = SplitMix(seed: seed)
    func rnd(_ shape: [Int]) -> [Float] { (0 ..< shape.reduce(1, *)).map { _ in g.float() } }
    let (d, hp, c, k, i) = (3, 4, 5, 6, 7)
    var t = [
        NamedTensor(name: "projector.0.weight", shape: [hp, d], values: rnd([hp, d])),
        NamedTensor(name: "projector.0.bias", shape: [hp], values: rnd([hp])),
        NamedTensor(name: "projector.2.weight", shape: [c, hp], values: rnd([c, hp])),
        NamedTensor(name: "projector.2.bias", shape: [c], values: rnd([c])),
        NamedTensor(name: "ipl.proj.weight", shape: [k, c], values: rnd([k, c])),
        NamedTensor(name: "ipl.proj.bias", shape: [k], values: rnd([k])),
        NamedTensor(name: "ipl.items", shape: [i, k], values: rnd([i, k])),
        NamedTensor(name: "ipl.item_bias", shape: [i], values: rnd([i])),
        NamedTensor(name: "tokens.seq", shape: [c], values: rnd([c])),
        NamedTensor(name: "tokens.align", shape: [c], values: rnd([c])),
    ]
    if let gate { t.append(NamedTensor(name: "id.gate", shape: [1], values: [gate])) }
    return t
}

@Suite("Factorized IPL and id.gate in heads.safetensors")
struct FactorizedHeadsTests {
    func tmp(_ name: String) -> String { NSTemporaryDirectory() + "hdrec-\(UUID().uuidString)-\(name)" }

    @Test("round trip through heads.safetensors keeps the form, γ and every value; dimensions say factorized and anchored")
    func roundTrip() throws {
        let tensors = factorizedTensors()
        let heads = try HDRecHeads(tensors: tensors, file: "t")
        #expect(heads.ipl.form == .factorized && heads.idGate == 0.25)
        #expect(heads.dimensions == HeadsDimensions(sasrecWidth: 3, projectorHidden: 4, modelWidth: 5, iplHidden: 6, itemCount: 7,
                                                    iplForm: .factorized, idAnchor: true))
        let path = tmp("heads.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try heads.write(to: path)
        let back = try HDRecHeads.load(path: path)
        #expect(back == heads)
        let byName = Dictionary(uniqueKeysWithValues: back.tensors().map { ($0.name, $0) })
        for t in tensors { #expect(byName[t.name] == t, "\(t.name)") }
        #expect(byName.count == tensors.count)
        // Without the gate: not anchored, and γ is not invented.
        let plain = try HDRecHeads(tensors: factorizedTensors(gate: nil), file: "t")
        #expect(plain.idGate == nil && plain.dimensions.idAnchor == nil)
        try plain.write(to: path)
        #expect(try HDRecHeads.load(path: path) == plain)
    }

    @Test("the factorized IPL computes (h·Wpᵀ + bp)·Eᵀ + b")
    func definition() throws {
        let t = Dictionary(uniqueKeysWithValues: factorizedTensors().map { ($0.name, $0.values) })
        let heads = try HDRecHeads(tensors: factorizedTensors(), file: "t")
        var g = SplitMix(seed: 9)
        let rows = 2, (c, k, n) = (5, 6, 7)
        let h = (0 ..< rows * c).map { _ in g.float() }
        let z = heads.ipl(h, rows: rows)
        for r in 0 ..< rows {
            var p = [Float](repeating: 0, count: k)
            for j in 0 ..< k {
                p[j] = t["ipl.proj.bias"]![j]
                for x in 0 ..< c { p[j] += h[r * c + x] * t["ipl.proj.weight"]![j * c + x] }
            }
            for i in 0 ..< n {
                var want = t["ipl.item_bias"]![i]
                for j in 0 ..< k { want += p[j] * t["ipl.items"]![i * k + j] }
                #expect(abs(z[r * n + i] - want) < 1e-5, "row \(r), item \(i)")
            }
        }
    }

    @Test("wrong shapes, mixed forms, a missing factorized tensor and a non-finite γ are named")
    func badTensors() throws {
        func replacing(_ name: String, _ t: NamedTensor?) -> [NamedTensor] {
            factorizedTensors().compactMap { $0.name == name ? t : $0 }
        }
        #expect(throws: HDRecInferenceError.tensorShape(file: "t", name: "ipl.items", expected: [7, 6], found: [7, 5])) {
            try HDRecHeads(tensors: replacing("ipl.items", NamedTensor(name: "ipl.items", shape: [7, 5], values: .init(repeating: 0, count: 35))), file: "t")
        }
        #expect(throws: HDRecInferenceError.tensorShape(file: "t", name: "ipl.proj.weight", expected: [6, 5], found: [6, 4])) {
            try HDRecHeads(tensors: replacing("ipl.proj.weight", NamedTensor(name: "ipl.proj.weight", shape: [6, 4], values: .init(repeating: 0, count: 24))), file: "t")
        }
        #expect(throws: HDRecInferenceError.tensorShape(file: "t", name: "ipl.item_bias", expected: [7], found: [6])) {
            try HDRecHeads(tensors: replacing("ipl.item_bias", NamedTensor(name: "ipl.item_bias", shape: [6], values: .init(repeating: 0, count: 6))), file: "t")
        }
        #expect(throws: HDRecInferenceError.tensorShape(file: "t", name: "id.gate", expected: [1], found: [2])) {
            try HDRecHeads(tensors: replacing("id.gate", NamedTensor(name: "id.gate", shape: [2], values: [0, 0])), file: "t")
        }
        #expect(throws: HDRecInferenceError.missingTensor(file: "t", name: "ipl.item_bias")) {
            try HDRecHeads(tensors: replacing("ipl.item_bias", nil), file: "t")
        }
        #expect(throws: HDRecInferenceError.tensorContent(file: "t", name: "id.gate", problem: "non-finite value at element 0")) {
            try HDRecHeads(tensors: replacing("id.gate", NamedTensor(name: "id.gate", shape: [1], values: [.nan])), file: "t")
        }
        let mixed = factorizedTensors() + [NamedTensor(name: "ipl.0.bias", shape: [6], values: .init(repeating: 0, count: 6))]
        do {
            _ = try HDRecHeads(tensors: mixed, file: "t")
            Issue.record("mixed forms were accepted")
        } catch let HDRecInferenceError.tensorContent(file, name, problem) {
            #expect(file == "t" && name == "ipl.proj.weight" && problem.contains("ipl.0.bias"))
        }
        // The manifest's dimensions must say what the tensors are.
        let heads = try HDRecHeads(tensors: factorizedTensors(), file: "t")
        var mlpDims = heads.dimensions
        mlpDims.iplForm = nil
        #expect(throws: HDRecInferenceError.self) {
            try HDRecHeads(dimensions: mlpDims, projector: heads.projector, ipl: heads.ipl, seqEmbedding: heads.seqEmbedding,
                           alignEmbedding: heads.alignEmbedding, idGate: heads.idGate)
        }
        #expect(throws: HDRecInferenceError.self) {
            try HDRecHeads(dimensions: heads.dimensions, projector: heads.projector, ipl: heads.ipl, seqEmbedding: heads.seqEmbedding,
                           alignEmbedding: heads.alignEmbedding, idGate: nil)
        }
    }

    @Test("dimensions: the optional fields are left out for the MLP and decode from old manifests; explicit mlp/false equal absent")
    func dimensionsCoding() throws {
        let old = HeadsDimensions(projectorHidden: 6, modelWidth: 64, iplHidden: 5, itemCount: 3)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let text = String(decoding: try encoder.encode(old), as: UTF8.self)
        #expect(!text.contains("ipl_form") && !text.contains("id_anchor"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let v1 = #"{"sasrec_width":128,"projector_hidden":6,"model_width":64,"ipl_hidden":5,"item_count":3}"#
        #expect(try decoder.decode(HeadsDimensions.self, from: Data(v1.utf8)) == old)
        let explicit = #"{"sasrec_width":128,"projector_hidden":6,"model_width":64,"ipl_hidden":5,"item_count":3,"ipl_form":"mlp","id_anchor":false}"#
        let e = try decoder.decode(HeadsDimensions.self, from: Data(explicit.utf8))
        #expect(e != old && e.canonical == old && !e.needsFormatVersion2)
        let f = try HDRecHeads(tensors: factorizedTensors(), file: "t").dimensions
        let ft = String(decoding: try encoder.encode(f), as: UTF8.self)
        #expect(ft.contains("\"ipl_form\":\"factorized\"") && ft.contains("\"id_anchor\":true") && f.needsFormatVersion2)
    }
}
