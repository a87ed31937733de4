// Heads: projector and IPL against numpy goldens (Tools/recommender_heads_golden.py),
// the named-tensor round trip, and shape errors that name the tensor.
import Foundation
import Testing
@testable import HDRecInference

struct HeadsGolden: Decodable {
    struct Tensor: Decodable { var shape: [Int]; var values: [Float] }
    struct Dims: Decodable { var sasrec: Int; var projector_hidden: Int; var model: Int; var ipl_hidden: Int; var items: Int; var rows: Int }
    var dims: Dims
    var tensors: [String: Tensor]
    var projector_input: [Float]; var projector_output: [Double]
    var ipl_input: [Float]; var ipl_output: [Double]

    static func load() throws -> HeadsGolden {
        try JSONDecoder().decode(HeadsGolden.self, from: Data(contentsOf: FixturePaths.fixture("heads-golden.json")))
    }

    var named: [NamedTensor] { tensors.map { NamedTensor(name: $0.key, shape: $0.value.shape, values: $0.value.values) } }
}

@Suite("Heads")
struct HeadsTests {
    @Test("projector and IPL match numpy")
    func goldens() throws {
        let g = try HeadsGolden.load()
        let heads = try HDRecHeads(tensors: g.named, file: "golden")
        #expect(heads.dimensions == HeadsDimensions(sasrecWidth: 8, projectorHidden: 6, modelWidth: 7, iplHidden: 5, itemCount: 9))
        let p = heads.projector(g.projector_input, rows: g.dims.rows)
        #expect(p.count == g.projector_output.count)
        for (a, b) in zip(p, g.projector_output) { #expect(abs(Double(a) - b) < 1e-4 * max(1, abs(b))) }
        let z = heads.ipl(g.ipl_input, rows: g.dims.rows)
        #expect(z.count == g.ipl_output.count)
        for (a, b) in zip(z, g.ipl_output) { #expect(abs(Double(a) - b) < 1e-4 * max(1, abs(b))) }
        #expect(heads.norms.keys.sorted() == ["output_norm.weight"])
    }

    @Test("named tensors round trip")
    func roundTrip() throws {
        let g = try HeadsGolden.load()
        let heads = try HDRecHeads(tensors: g.named, file: "golden")
        let again = try HDRecHeads(tensors: heads.tensors(), file: "again")
        #expect(again == heads)
        #expect(heads.tensors().map(\.name).prefix(3) == ["projector.0.weight", "projector.0.bias", "projector.2.weight"])
    }

    @Test("missing, misshapen, non-finite and unknown tensors are named")
    func errors() throws {
        let g = try HeadsGolden.load()
        var t = g.named.filter { $0.name != "ipl.0.bias" }
        #expect(throws: HDRecInferenceError.missingTensor(file: "h.st", name: "ipl.0.bias")) { try HDRecHeads(tensors: t, file: "h.st") }
        t = g.named.map { $0.name == "tokens.seq" ? NamedTensor(name: "tokens.seq", shape: [6], values: Array($0.values.prefix(6))) : $0 }
        #expect(throws: HDRecInferenceError.tensorShape(file: "h.st", name: "tokens.seq", expected: [7], found: [6])) {
            try HDRecHeads(tensors: t, file: "h.st")
        }
        t = g.named.map { $0.name == "ipl.2.weight" ? NamedTensor(name: $0.name, shape: $0.shape, values: [.nan] + $0.values.dropFirst()) : $0 }
        #expect(throws: HDRecInferenceError.tensorContent(file: "h.st", name: "ipl.2.weight", problem: "non-finite value at element 0")) {
            try HDRecHeads(tensors: t, file: "h.st")
        }
        t = g.named + [NamedTensor(name: "score_classify.0.weight", shape: [1], values: [0])]
        #expect(throws: HDRecInferenceError.self) { try HDRecHeads(tensors: t, file: "h.st") }
    }
}
