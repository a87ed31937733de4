// The real engine behind hdrec-server: a loaded HDRec bundle (HDRecModel: text pass and
// ID pass over one shared Llama base, fusion Eqs. 13-18, top-k) behind the service's
// RecommendationEngine contract. See docs/service.md "Plugging in the engine".
// Loading goes through HDRecModel.load (the same code path as `hdrec recommend`);
// a hot swap reuses the running base, so only adapters, heads and SASRec are read.
import Foundation
import Recommender

/// One loaded bundle serving recommendations. Immutable once built.
public final class HDRecEngine: RecommendationEngine {
    /// The bundle as loaded: contents, model and the base it runs on.
    public let loaded: LoadedHDRec
    public let manifestJSON: [UInt8]
    public let versions: AdapterVersions

    public var catalog: Catalog { loaded.contents.catalog }
    public var defaultAlpha: Float { loaded.contents.manifest.fusion.alpha }
    public var defaultFusion: FusionMethod { loaded.contents.manifest.fusion.method }
    /// The running base's sha256 (hot swaps must name the same one).
    public var baseSHA256: String { loaded.contents.manifest.base.sha256 }

    /// Wraps a loaded bundle; `manifestJSON` is the bundle's manifest.json as read from disk.
    public init(loaded: LoadedHDRec, manifestJSON: [UInt8]) {
        self.loaded = loaded
        self.manifestJSON = manifestJSON
        let m = loaded.contents.manifest
        versions = AdapterVersions(text: m.adapters.text.version, id: m.adapters.id.version)
    }

    /// The model request for a service query (the service already merged the history
    /// into `excluded` when `exclude_history` was asked).
    public static func request(for q: RecommendQuery) -> RecommendationRequest {
        RecommendationRequest(history: q.history, k: q.k, fusion: q.fusion, alpha: q.alpha,
                              excludeHistory: false, exclude: q.excluded, explain: q.explain)
    }

    public func recommend(_ batch: [RecommendQuery]) throws -> [RecommendOutput] {
        if batch.isEmpty { return [] }
        let results = try loaded.model.recommend(batch.map(Self.request(for:)))
        return results.map { r in
            RecommendOutput(
                items: r.items.map { RecommendedItem(index: $0.index, score: $0.score, textScore: $0.textScore, idBoost: $0.idBoost) },
                timings: StageTimings(textPass: r.timing.textPass / 1000, idPass: r.timing.idPass / 1000, fusion: r.timing.fusion / 1000))
        }
    }

    public func warmUp() throws {
        _ = try recommend([RecommendQuery(history: [0], k: 1, alpha: defaultAlpha, fusion: defaultFusion)])
    }
}

/// Loads bundles into HDRecEngines. The first load reads the whole bundle (its own base,
/// or `basePath` for bundles that reference theirs); a swap shares the running engine's
/// base and checks the new manifest names the same base sha256 and the same item count.
public struct HDRecEngineLoader: EngineLoader {
    /// The base GGUF for bundles that reference their base instead of carrying it.
    public let basePath: String?
    public let verifyChecksums: Bool

    public init(basePath: String? = nil, verifyChecksums: Bool = true) {
        self.basePath = basePath
        self.verifyChecksums = verifyChecksums
    }

    public func load(directory: String, replacing current: (any RecommendationEngine)?) throws -> any RecommendationEngine {
        let manifestPath = directory + "/" + BundleLayout.manifest
        guard let bytes = FileManager.default.contents(atPath: manifestPath) else {
            throw RecommenderError.missingFile(path: manifestPath)
        }
        let loaded: LoadedHDRec
        if let running = current as? HDRecEngine {
            loaded = try HDRecModel.load(bundle: directory, sharing: running.loaded.base, baseSHA256: running.baseSHA256,
                                         verifyChecksums: verifyChecksums)
            guard loaded.contents.catalog.count == running.catalog.count else {
                throw RecommenderError.inconsistent(field: "\(directory) catalog item count vs the running bundle's",
                                                    expected: "\(running.catalog.count)", found: "\(loaded.contents.catalog.count)")
            }
        } else {
            loaded = try HDRecModel.load(bundle: directory, basePath: basePath, verifyChecksums: verifyChecksums)
        }
        return HDRecEngine(loaded: loaded, manifestJSON: Array(bytes))
    }
}
