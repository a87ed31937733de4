// Top-k: order, deterministic tie-break (lower index first), NaN last, exclusions,
// and agreement between the small-k and large-k selection paths.
import Testing
@testable import HDRecInference

@Suite("Top-k selection")
struct TopKTests {
    @Test("best first, ties to the lower index")
    func ties() {
        let s: [Float] = [1, 3, 3, 2, 3]
        #expect(TopK.select(s, k: 4).map(\.index) == [1, 2, 4, 3])
        #expect(TopK.select(s, k: 2) == [ScoredItem(index: 1, score: 3), ScoredItem(index: 2, score: 3)])
    }

    @Test("NaN ranks below every number")
    func nan() {
        let s: [Float] = [.nan, -1e30, .nan, 0]
        #expect(TopK.select(s, k: 4).map(\.index) == [3, 1, 0, 2])
    }

    @Test("excluded indices never appear; k larger than what is left returns what is left")
    func exclusions() {
        let s: [Float] = [5, 4, 3, 2, 1]
        #expect(TopK.select(s, k: 3, excluding: [0, 2]).map(\.index) == [1, 3, 4])
        #expect(TopK.select(s, k: 10, excluding: [0, 1, 2]).map(\.index) == [3, 4])
        #expect(TopK.select(s, k: 0).isEmpty)
    }

    @Test("the insertion path and the sort path agree", arguments: [1, 10, 64, 65, 200])
    func paths(k: Int) {
        var g = SplitMix(seed: 7)
        // Few distinct values, so there are many ties.
        let s: [Float] = (0 ..< 300).map { _ in Float(g.next() % 17) }
        let got = TopK.select(s, k: k, excluding: [5, 6])
        let ref = s.indices.filter { $0 != 5 && $0 != 6 }.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }.prefix(k)
        #expect(got.map(\.index) == Array(ref))
    }
}

/// A tiny deterministic generator for tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}
