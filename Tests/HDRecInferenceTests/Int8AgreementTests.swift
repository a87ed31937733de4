// The committed bundle (artifacts/default) over SmolLM2 recommends nearly the same items
// with 8-bit prefill activations (`--int8-activations`) as with f32 ones: 48 seeded random
// histories of 3-12 catalog items, top 10 each. Measured: mean top-10 overlap 0.935 / 0.933,
// the same top-1 for 47 / 45 of 48, shared items' fused scores within 0.43 / 0.41 (AVX-VNNI /
// AVX-512 VNNI kernels); the bounds leave headroom (docs/kernels.md "Integer prefill" has the full-test-split NDCG comparison).
// Skips without `make models`.
import Foundation
import Quant
import Testing
@testable import HDRecInference

@Suite("artifacts/default with 8-bit activations agrees with f32", .serialized,
       .enabled(if: Int8MatMul.isAvailable, "no AVX2"))
struct Int8AgreementTests {
    @Test("top-10 lists overlap and fused scores stay close")
    func topTenAgreement() throws {
        guard let base = V1BundleTests.smolLM2 else { print("skipped: SmolLM2 missing (make models)"); return }
        let f32 = try HDRecModel.load(bundle: V1BundleTests.bundle, basePath: base)
        let int8 = try HDRecModel.load(bundle: V1BundleTests.bundle, basePath: base, activations: .int8)
        var state: UInt64 = 0x1A7E
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let items = f32.contents.catalog.count
        let requests = (0 ..< 48).map { _ in
            RecommendationRequest(history: (0 ..< 3 + next(10)).map { _ in next(items) }, k: 10)
        }
        let a = try f32.model.recommend(requests), b = try int8.model.recommend(requests)
        var overlap = 0.0, sameTop1 = 0, worstScore: Float = 0
        for (x, y) in zip(a, b) {
            overlap += Double(Set(x.items.map(\.index)).intersection(y.items.map(\.index)).count) / 10
            if x.items[0].index == y.items[0].index { sameTop1 += 1 }
            let yScores = Dictionary(uniqueKeysWithValues: y.items.map { ($0.index, $0.score) })
            for item in x.items { if let s = yScores[item.index] { worstScore = max(worstScore, abs(s - item.score)) } }
        }
        overlap /= Double(requests.count)
        print("int8 vs f32 on artifacts/default: mean top-10 overlap \(overlap), same top-1 \(sameTop1)/\(requests.count), "
              + "largest fused-score change of a shared item \(worstScore)")
        #expect(overlap >= 0.85)
        #expect(sameTop1 >= requests.count * 5 / 6)
    }
}
