// Fusion (paper Eqs. 13-18, Fig. 5 variants): each stage against hand-computed
// values, then every method against numpy goldens (Tools/recommender_fusion_golden.py).
import Foundation
import Testing
@testable import HDRecInference

private func close(_ a: Float, _ b: Double, tol: Double = 1e-5) -> Bool {
    abs(Double(a) - b) <= tol * max(1, abs(b))
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

@Suite("Fusion stages, Eqs. 13-17")
struct FusionStageTests {
    let zid: [Float] = [0, 1, 2, -1]

    @Test("Eq. 13: mean over all items")
    func mean() {
        #expect(Fusion.mean(zid) == 0.5)
        #expect(Fusion.mean([]) == 0)
    }

    @Test("Eq. 14: sigmoid of the centred logits, divided by the temperature", arguments: [
        (Float(1), [sigmoid(-0.5), sigmoid(0.5), sigmoid(1.5), sigmoid(-1.5)]),
        (Float(0.5), [sigmoid(-1), sigmoid(1), sigmoid(3), sigmoid(-3)]),
    ])
    func confidence(tau: Float, expected: [Double]) {
        let s = Fusion.confidence(zid, mean: 0.5, temperature: tau)
        for (a, b) in zip(s, expected) { #expect(close(a, b)) }
    }

    @Test("Eq. 15: minimum ignores NaN")
    func minimum() {
        #expect(Fusion.minimum(zid) == -1)
        #expect(Fusion.minimum([3, .nan, 2]) == 2)
        #expect(Fusion.minimum([]) == 0)
    }

    @Test("Eq. 16: shifted to be positive, the minimum becomes epsilon")
    func adjusted() {
        let a = Fusion.adjusted(zid, minimum: -1, epsilon: 1e-8)
        #expect(a == [1 + 1e-8, 2, 3, 1e-8])
        #expect(a.allSatisfy { $0 > 0 })
    }

    @Test("Eq. 17: alpha times adjusted times confidence")
    func enhancement() {
        let e = Fusion.enhancement(zid, parameters: FusionParameters(alpha: 0.5))
        let expected = [0.5 * 1 * sigmoid(-0.5), 0.5 * 2 * sigmoid(0.5), 0.5 * 3 * sigmoid(1.5), 0.5 * 1e-8 * sigmoid(-1.5)]
        for (a, b) in zip(e, expected) { #expect(close(a, b, tol: 1e-6)) }
        #expect(e[3] > 0, "the epsilon keeps the lowest item's boost positive")
    }

    @Test("alpha = 0 leaves the text pass unchanged")
    func alphaZero() throws {
        let zt: [Float] = [0.3, -2, 5, 1]
        let f = try Fusion.fuse(text: zt, id: zid, method: .textDominant, parameters: FusionParameters(alpha: 0))
        #expect(f.final == zt)
    }
}

@Suite("Fusion methods")
struct FusionMethodTests {
    let zt: [Float] = [2, 0, 1, 3]
    let zid: [Float] = [0, 1, 2, -1]
    let p = FusionParameters(alpha: 0.5, temperature: 0.5)

    @Test("text-dominant is z_text + E(z_id) (Eq. 18)")
    func textDominant() throws {
        let f = try Fusion.fuse(text: zt, id: zid, method: .textDominant, parameters: p)
        let e = Fusion.enhancement(zid, parameters: p)
        #expect(f.final == zip(zt, e).map { $0 + $1 })
        #expect(f.idBoost == e)
        #expect(f.textBoost == nil)
    }

    @Test("id-dominant is the mirror: z_id + E(z_text)")
    func idDominant() throws {
        let f = try Fusion.fuse(text: zt, id: zid, method: .idDominant, parameters: p)
        let e = Fusion.enhancement(zt, parameters: p)
        #expect(f.final == zip(zid, e).map { $0 + $1 })
        #expect(f.textBoost == e)
    }

    @Test("confidence sums the E terms of both passes, at α = 1 whatever the request's α (α would only scale the sum)")
    func confidence() throws {
        var unit = p
        unit.alpha = 1
        let et = Fusion.enhancement(zt, parameters: unit), ei = Fusion.enhancement(zid, parameters: unit)
        for alpha: Float in [0, 0.3, 1] {
            var q = p
            q.alpha = alpha
            let f = try Fusion.fuse(text: zt, id: zid, method: .confidence, parameters: q)
            #expect(f.final == zip(et, ei).map { $0 + $1 }, "α = \(alpha)")
            // Never a constant row (α = 0 used to give all zeros, which the tie rule ranks as perfect).
            #expect(Set(f.final).count > 1, "α = \(alpha)")
        }
    }

    @Test("single passes return their own logits")
    func passes() throws {
        #expect(try Fusion.fuse(text: zt, id: zid, method: .textPass, parameters: p).final == zt)
        #expect(try Fusion.fuse(text: zt, id: zid, method: .idPass, parameters: p).final == zid)
    }

    @Test("fusion names parse, unknown names list the valid ones")
    func names() throws {
        #expect(try FusionMethod.parse("text-dominant") == .textDominant)
        #expect(FusionMethod.allCases.map(\.rawValue) == ["text-dominant", "id-dominant", "confidence", "text-pass", "id-pass"])
        #expect(throws: HDRecInferenceError.unknownFusion("sum")) { try FusionMethod.parse("sum") }
        #expect(HDRecInferenceError.unknownFusion("sum").description.contains("id-dominant"))
    }

    @Test("bad parameters and mismatched rows are rejected", arguments: [
        FusionParameters(alpha: -0.1), FusionParameters(alpha: 1.5), FusionParameters(alpha: .nan),
        FusionParameters(alpha: 0.5, temperature: 0), FusionParameters(alpha: 0.5, epsilon: -1),
    ])
    func badParameters(p: FusionParameters) {
        #expect(throws: HDRecInferenceError.self) { try Fusion.fuse(text: zt, id: zid, method: .textDominant, parameters: p) }
    }

    @Test("rows of different lengths are rejected")
    func mismatch() {
        #expect(throws: HDRecInferenceError.scoreLengthMismatch(text: 4, id: 3)) {
            try Fusion.fuse(text: zt, id: [1, 2, 3], method: .textDominant, parameters: p)
        }
    }
}

private struct GoldenFile: Decodable {
    struct Row: Decodable { var text: [Float]; var id: [Float]; var cases: [Case] }
    struct Case: Decodable {
        var method: String; var alpha: Float; var temperature: Float; var epsilon: Float
        var final: [Double]; var id_boost: [Double]; var order: [Int]
    }
    var rows: [Row]
}

@Test("every method matches the numpy goldens (scores and order)")
func fusionGoldens() throws {
    let data = try Data(contentsOf: FixturePaths.fixture("fusion-golden.json"))
    let golden = try JSONDecoder().decode(GoldenFile.self, from: data)
    var checked = 0
    for row in golden.rows {
        for c in row.cases {
            let p = FusionParameters(alpha: c.alpha, temperature: c.temperature, epsilon: c.epsilon)
            let f = try Fusion.fuse(text: row.text, id: row.id, method: try FusionMethod.parse(c.method), parameters: p)
            for (a, b) in zip(f.final, c.final) { #expect(close(a, b, tol: 2e-6), "\(c.method) α=\(c.alpha) τ=\(c.temperature)") }
            for (a, b) in zip(f.idBoost, c.id_boost) { #expect(close(a, b, tol: 2e-6)) }
            let order = TopK.select(f.final, k: f.final.count).map(\.index)
            #expect(order == c.order, "\(c.method) α=\(c.alpha) τ=\(c.temperature)")
            checked += 1
        }
    }
    #expect(checked == 60)
}
