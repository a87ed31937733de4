// The real HDRec engine behind the service: random bundles (the library path behind
// `hdrec export --random`) over the stories260K fixture base, with a tiny catalog made
// here. Checks that the engine answers a batch, that POST /recommend (in-process) gives
// exactly HDRecModel.recommend's top-k for the same history (the `hdrec recommend` path),
// that a hot swap to a second bundle shares the base and changes the adapter versions, and
// that the loader's thread count (`hdrec-server --threads`) is the decoder's pool, for the
// first engine and for every swapped one.
import Foundation
import HTTP
import JSON
@testable import HDRecInference
import Testing
@testable import Service
import Workbench

@Suite("HDRec engine in the service")
struct HDRecEngineTests {
    static let base: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/stories260K/stories260K.gguf").path

    /// Writes a random bundle (seeded) for a 12-item catalog under `root`.
    static func bundle(_ root: TestRoot, _ name: String, seed: UInt64) throws -> String {
        let items = (0..<12).map { CatalogItem(id: "i\($0)", title: "Story number \($0)", brand: "Brand \($0 % 3)") }
        let dir = root.path + "/" + name
        try RandomBundle.write(to: dir, basePath: base, catalog: try Catalog(items: items), datasetName: "tiny",
                               hidden: 16, rank: 2, seed: seed, command: "test")
        return dir
    }

    static func service(_ root: TestRoot, artifacts: String) throws -> RecommendationService {
        var config = ServiceConfig(artifacts: artifacts, adapterRoot: root.path)
        config.adminTokens = KeySet(keys: ["s3cret"])
        config.batchWindow = 0
        let service = RecommendationService(config: config, loader: HDRecEngineLoader(basePath: base), logger: quietLogger())
        try service.registry.loadInitial(directory: artifacts)
        return service
    }

    @Test("answers a batch: one output per query, k items each, best first, exclusions honoured")
    func batch() throws {
        let root = TestRoot()
        let engine = try HDRecEngineLoader(basePath: Self.base).load(directory: try Self.bundle(root, "v1", seed: 1), replacing: nil)
        try engine.warmUp()
        let queries = [RecommendationRequest(history: [1, 2], k: 5, alpha: engine.defaultAlpha),
                       RecommendationRequest(history: [7], k: 3, alpha: 0.2, exclude: [0, 1, 2]),
                       RecommendationRequest(history: [3, 4, 5], k: 12, alpha: 0.9, explain: true)]
        let out = try engine.recommend(queries)
        #expect(out.count == 3)
        for (q, o) in zip(queries, out) {
            #expect(o.items.count == min(q.k, 12 - q.exclude.count))
            #expect(zip(o.items, o.items.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(o.items.allSatisfy { !q.exclude.contains($0.index) })
            #expect(o.items.allSatisfy { $0.score.isFinite })
        }
        #expect(out[2].items.allSatisfy { $0.textScore != nil && $0.idBoost != nil })
        #expect(engine.manifestJSON == Array(try Data(contentsOf: URL(fileURLWithPath: root.path + "/v1/manifest.json"))))
    }

    @Test("POST /recommend equals HDRecModel.recommend for the same history; a hot swap changes the adapter versions")
    func routeMatchesModelAndSwaps() async throws {
        let root = TestRoot()
        let v1 = try Self.bundle(root, "v1", seed: 1)
        let v2 = try Self.bundle(root, "v2", seed: 2)
        let service = try Self.service(root, artifacts: v1)
        let engine = try #require(service.registry.current as? HDRecEngine)

        let r = await service.call(.post, "/recommend", json: #"{"history": ["i3", "i5", "i8"], "k": 6}"#)
        #expect(r.status.code == 200)
        guard case .array(let items)? = r.json["items"] else { Issue.record("no items in \(r.json)"); return }
        let expected = try engine.loaded.model.recommend([RecommendationRequest(history: [3, 5, 8], k: 6)])[0].items
        #expect(items.count == expected.count)
        for (got, want) in zip(items, expected) {
            #expect(got["id"] == .string("i\(want.index)"))
            guard let s = got["score"]?.doubleValue else { Issue.record("no score in \(got)"); continue }
            #expect(abs(s - Double(want.score)) < 1e-5)
        }
        let before = engine.versions
        #expect(r.json["adapters"] == .object([("text", .string(before.text)), ("id", .string(before.id))]))

        let swap = try await service.registry.apply(directory: v2)
        #expect(swap.previous == before)
        #expect(swap.current.text != before.text && swap.current.id != before.id)
        let swapped = try #require(service.registry.current as? HDRecEngine)
        #expect(swapped.loaded.base === engine.loaded.base)
        let r2 = await service.call(.post, "/recommend", json: #"{"history": ["i3", "i5", "i8"], "k": 6}"#)
        #expect(r2.status.code == 200)
        #expect(r2.json["adapters"] == .object([("text", .string(swap.current.text)), ("id", .string(swap.current.id))]))
    }

    @Test("--threads N sizes the decoder's pool: the first engine and each hot-swapped one run on the loader's N-thread pool")
    func threads() async throws {
        let root = TestRoot()
        let v1 = try Self.bundle(root, "v1", seed: 1)
        let v2 = try Self.bundle(root, "v2", seed: 2)
        let loader = HDRecEngineLoader(basePath: Self.base, threads: 3)
        #expect(loader.pool.threadCount == 3)
        let first = try #require(try loader.load(directory: v1, replacing: nil) as? HDRecEngine)
        let swapped = try #require(try loader.load(directory: v2, replacing: first) as? HDRecEngine)
        for engine in [first, swapped] {
            #expect(engine.decoderThreads == 3)
            let decoder = try #require(engine.loaded.model.decoder as? LlamaHDRecDecoder)
            #expect(decoder.pool === loader.pool)
        }
        // Without --threads every loader runs its engines on the one process-wide pool.
        let defaultLoader = HDRecEngineLoader(basePath: Self.base)
        #expect(defaultLoader.pool === HDRecEngineLoader().pool && defaultLoader.pool !== loader.pool)
        let shared = try #require(try defaultLoader.load(directory: v1, replacing: nil) as? HDRecEngine)
        #expect(shared.decoderThreads == defaultLoader.pool.threadCount)
        #expect((shared.loaded.model.decoder as? LlamaHDRecDecoder)?.pool === defaultLoader.pool)

        // /readyz reports the count.
        var config = ServiceConfig(artifacts: v1, adapterRoot: root.path)
        config.batchWindow = 0
        let service = RecommendationService(config: config, loader: loader, logger: quietLogger())
        defer { service.queue.stop() }
        try service.registry.loadInitial(directory: v1)
        let ready = await service.call(.get, "/readyz")
        #expect(ready.json["decoder_threads"] == .number(3))
    }
}
