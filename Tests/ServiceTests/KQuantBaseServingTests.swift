// A bundle whose base is a K-quant GGUF serves: a random bundle (the `hdrec export
// --random` path) over SmolLM2-135M re-quantized by llama.cpp to Q4_K_M (Q4_K, Q6_K, Q5_0
// and Q8_0 tensors), loaded by the server's engine loader and asked through POST
// /recommend. The ~100 MB file is built by `make kquant-models` (llama-cpp-python), not
// committed; without it the suite is skipped, saying so.
import Foundation
import HTTP
@testable import HDRecInference
import Testing
@testable import Service
import Workbench

private let kquantBase: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_K_M.gguf").path

@Suite("a bundle on a K-quant base",
       .enabled(if: FileManager.default.fileExists(atPath: kquantBase),
                "models/SmolLM2-135M-Instruct.Q4_K_M.gguf not found: build it with `make kquant-models` (needs llama-cpp-python)"))
struct KQuantBaseServingTests {
    @Test("POST /recommend on a Q4_K_M base answers k items, equal to HDRecModel.recommend")
    func serves() async throws {
        let root = TestRoot()
        let items = (0..<20).map { CatalogItem(id: "p\($0)", title: "Lab product number \($0)", brand: "Brand \($0 % 4)") }
        let dir = root.path + "/kq"
        try RandomBundle.write(to: dir, basePath: kquantBase, catalog: try Catalog(items: items), datasetName: "tiny",
                               hidden: 32, rank: 2, seed: 7, command: "test")
        var config = ServiceConfig(artifacts: dir, adapterRoot: root.path)
        config.batchWindow = 0
        let service = RecommendationService(config: config, loader: HDRecEngineLoader(basePath: kquantBase), logger: quietLogger())
        try service.registry.loadInitial(directory: dir)
        let engine = try #require(service.registry.current as? HDRecEngine)

        let r = await service.call(.post, "/recommend", json: #"{"history": ["p3", "p11", "p17"], "k": 5}"#)
        #expect(r.status.code == 200, "\(r.bodyText)")
        guard case .array(let got)? = r.json["items"] else {
            Issue.record("no items in \(r.bodyText)")
            return
        }
        let expected = try engine.loaded.model.recommend([RecommendationRequest(history: [3, 11, 17], k: 5)])[0].items
        #expect(got.count == 5 && expected.count == 5)
        for (g, want) in zip(got, expected) {
            #expect(g["id"] == .string("p\(want.index)"))
            guard let score = g["score"]?.doubleValue else {
                Issue.record("no score in \(g)")
                continue
            }
            #expect(score.isFinite && abs(score - Double(want.score)) < 1e-5)
        }
    }
}
