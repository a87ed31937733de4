// PassDiagnostics: the agreement statistics `hdrec evaluate` reports between the text
// pass, the ID pass and popularity, checked on rows whose answers are known in closed form.
import Foundation
import Testing
import HDRecInference
@testable import Training

@Suite("Pass diagnostics")
struct PassDiagnosticsTests {
    /// 12 items, popularity descending with the index.
    let popularity: [Float] = (0..<12).map { Float(12 - $0) }

    @Test("identical passes that rank like popularity agree perfectly with each other and with it")
    func identicalPopularPasses() {
        var acc = PassDiagnosticsAccumulator(popularityScores: popularity)
        let row = popularity.map { $0 * 0.5 }
        acc.add(text: [row], id: [row])
        let d = acc.result
        #expect(d.rows == 1)
        #expect(abs(d.textIDSpearman - 1) < 1e-12)
        #expect(d.textIDTop10Overlap == 1)
        #expect(abs(d.textPopularitySpearman - 1) < 1e-12)
        #expect(abs(d.idPopularitySpearman - 1) < 1e-12)
        #expect(d.textPopularityTop10Overlap == 1 && d.idPopularityTop10Overlap == 1)
    }

    @Test("a reversed ID pass gives Spearman −1 and shares only the middle of the two top 10s")
    func reversedPass() {
        var acc = PassDiagnosticsAccumulator(popularityScores: popularity)
        acc.add(text: [popularity], id: [popularity.map { -$0 }])
        let d = acc.result
        #expect(abs(d.textIDSpearman + 1) < 1e-12)
        #expect(abs(d.idPopularitySpearman + 1) < 1e-12)
        // top 10 of 12 items each way: items 0-9 and 2-11 share 8.
        #expect(abs(d.textIDTop10Overlap - 0.8) < 1e-12)
    }

    @Test("softmax entropy: ln I for a flat pass, ln 2 for two equal peaks far above the rest")
    func entropy() {
        var acc = PassDiagnosticsAccumulator(popularityScores: popularity)
        var peaked = [Float](repeating: -60, count: 12)
        peaked[3] = 0; peaked[7] = 0
        acc.add(text: [[Float](repeating: 0.25, count: 12)], id: [peaked])
        let d = acc.result
        #expect(abs(d.textEntropy - log(12)) < 1e-9)
        #expect(abs(d.uniformEntropy - log(12)) < 1e-12)
        #expect(abs(d.idEntropy - log(2)) < 1e-6)
    }

    @Test("Spearman of a small permutation matches the textbook formula, and rows are averaged")
    func averagedRows() {
        // ranks a = [0,1,2,3], b = [1,0,3,2]: Σd² = 4, ρ = 1 − 6·4/(4·15) = 0.6.
        #expect(abs(PassDiagnosticsAccumulator.spearman([0, 1, 2, 3], [1, 0, 3, 2]) - 0.6) < 1e-12)
        var acc = PassDiagnosticsAccumulator(popularityScores: popularity)
        acc.add(text: [popularity, popularity], id: [popularity, popularity.map { -$0 }])
        #expect(acc.result.rows == 2)
        #expect(abs(acc.result.textIDSpearman) < 1e-12)   // (1 + −1) / 2
    }

    @Test("personalisation: identical lists for every user overlap fully, disjoint lists not at all")
    func userToUser() {
        var same = PassDiagnosticsAccumulator(popularityScores: popularity)
        same.add(text: [popularity, popularity, popularity], id: [popularity, popularity, popularity])
        #expect(same.result.textUserToUserTop10Overlap == 1 && same.result.idUserToUserTop10Overlap == 1)
        // 24 items: user A prefers items 0-9, user B items 12-21; ID pass the same for both.
        let n = 24
        var a = [Float](repeating: 0, count: n), b = [Float](repeating: 0, count: n)
        for i in 0..<n {
            a[i] = i < 10 ? Float(10 - i) : -Float(i)
            b[i] = (12..<22).contains(i) ? Float(50 - i) : -Float(i)
        }
        var other = PassDiagnosticsAccumulator(popularityScores: (0..<n).map { Float(n - $0) })
        other.add(text: [a, b, a], id: [a, a, a])
        #expect(other.result.textUserToUserTop10Overlap == 0)   // A→B and B→A share nothing
        #expect(other.result.idUserToUserTop10Overlap == 1)
    }

    @Test("rows of the wrong width are not counted")
    func wrongWidth() {
        var acc = PassDiagnosticsAccumulator(popularityScores: popularity)
        acc.add(text: [[1, 2, 3]], id: [[1, 2, 3]])
        #expect(acc.result.rows == 0)
    }
}

@Suite("Model selection of the ablations")
struct AblationSelectionTests {
    let validation = EpochValidation(epoch: 1, alphaNDCG: [0.010, 0.030, 0.020], textPassNDCG: 0.015, idPassNDCG: 0.025, bestAlpha: 0.1)

    @Test("runs that train both branches select on the best fused α; single-branch ablations on their own pass")
    func selection() {
        #expect(validation.selectionNDCG(for: .none) == 0.030)
        #expect(validation.selectionNDCG(for: .noKL) == 0.030)
        #expect(validation.selectionNDCG(for: .noDLA) == 0.030)
        #expect(validation.selectionNDCG(for: .textOnly) == 0.015)
        #expect(validation.selectionNDCG(for: .idOnly) == 0.025)
    }

    @Test("the final evaluation ranks by text-dominant fusion, or by the single branch an ablation trained")
    func finalFusion() {
        #expect(Ablation.none.finalFusion == .textDominant)
        #expect(Ablation.noKL.finalFusion == .textDominant && Ablation.noDLA.finalFusion == .textDominant)
        #expect(Ablation.textOnly.finalFusion == .textPass)
        #expect(Ablation.idOnly.finalFusion == .idPass)
    }
}
