// The real engine behind hdrec-server: a loaded HDRec bundle (HDRecModel: text pass and
// ID pass over one shared Llama base, fusion Eqs. 13-18, top-k) behind the service's
// RecommendationEngine contract. See docs/service.md "Plugging in the engine".
// Loading goes through HDRecModel.load (the same code path as `hdrec recommend`);
// a hot swap reuses the running base, so only adapters, heads and SASRec are read.
// `--threads N` becomes the loader's ThreadPool, which every engine it loads (the first
// and each hot-swapped one) hands to its decoder for the matrix products.
import Foundation
import Kernels
import Quant
import HDRecInference

/// One loaded bundle serving recommendations. Immutable once built.
public final class HDRecEngine: RecommendationEngine {
    /// The bundle as loaded: contents, model and the base it runs on.
    public let loaded: LoadedHDRec
    public let manifestJSON: [UInt8]
    public let versions: AdapterVersions
    /// The pool the decoder's matrix products run on.
    public let pool: ThreadPool

    public var catalog: Catalog { loaded.contents.catalog }
    public var defaultAlpha: Float { loaded.contents.manifest.fusion.alpha }
    public var defaultFusion: FusionMethod { loaded.contents.manifest.fusion.method }
    public var decoderThreads: Int? { pool.threadCount }
    public var prefixCacheStats: PrefixCacheStats.Counters? {
        (loaded.model.decoder as? LlamaHDRecDecoder)?.prefixCachePolicy.stats.snapshot
    }
    /// The running base's sha256 (hot swaps must name the same one).
    public var baseSHA256: String { loaded.contents.manifest.base.sha256 }

    /// Wraps a loaded bundle; `manifestJSON` is the bundle's manifest.json as read from
    /// disk, `pool` the one its model was built with.
    public init(loaded: LoadedHDRec, manifestJSON: [UInt8], pool: ThreadPool) {
        self.loaded = loaded
        self.manifestJSON = manifestJSON
        self.pool = pool
        let m = loaded.contents.manifest
        versions = AdapterVersions(text: m.adapters.text.version, id: m.adapters.id.version)
    }

    /// HDRecModel.recommend itself: the path `hdrec recommend` takes.
    public func recommend(_ batch: [RecommendationRequest]) throws -> [Recommendation] {
        if batch.isEmpty { return [] }
        return try loaded.model.recommend(batch)
    }

    public func warmUp() throws {
        _ = try recommend([RecommendationRequest(history: [0], k: 1, fusion: defaultFusion, alpha: defaultAlpha)])
    }
}

/// Loads bundles into HDRecEngines. The first load reads the whole bundle (its own base,
/// or `basePath` for bundles that reference theirs); a swap shares the running engine's
/// base and checks the new manifest names the same base sha256 and the same item count.
public struct HDRecEngineLoader: EngineLoader {
    /// The base GGUF for bundles that reference their base instead of carrying it.
    public let basePath: String?
    public let verifyChecksums: Bool
    /// The decoder's thread pool, shared by every engine this loader builds.
    public let pool: ThreadPool
    /// The prefix cache of every engine this loader builds (a budget per engine; the
    /// counters are shared, so /metrics keeps counting across swaps).
    public let prefixCache: PrefixCachePolicy
    /// The decoder's activation precision (`--int8-activations`); a hot swap keeps the running base's.
    public let activations: ActivationPrecision

    /// - Parameters:
    ///   - threads: threads for the matrix products (`--threads`), the calling thread
    ///     included; nil uses `ThreadPool.shared` (`HDREC_THREADS`, else all cores).
    ///   - prefixCacheBytes: the prefix cache's budget (`--prefix-cache-mb`); 0 keeps only
    ///     the shared instruction prefix.
    ///   - activations: `.int8` quantizes the decoder's prefill activations (ActivationPrecision).
    public init(basePath: String? = nil, threads: Int? = nil, verifyChecksums: Bool = true,
                prefixCacheBytes: Int = PrefixCachePolicy().capacityBytes, activations: ActivationPrecision = .f32) {
        self.activations = activations
        self.basePath = basePath
        self.verifyChecksums = verifyChecksums
        pool = threads.map { ThreadPool(threadCount: $0) } ?? .shared
        prefixCache = PrefixCachePolicy(capacityBytes: prefixCacheBytes)
    }

    public func load(directory: String, replacing current: (any RecommendationEngine)?) throws -> any RecommendationEngine {
        try load(directory: directory, replacing: current, containment: nil)
    }

    public func load(directory: String, replacing current: (any RecommendationEngine)?,
                     containment: BundleContainment?) throws -> any RecommendationEngine {
        let loaded: LoadedHDRec
        if let running = current as? HDRecEngine {
            loaded = try HDRecModel.load(bundle: directory, sharing: running.loaded.base, baseSHA256: running.baseSHA256,
                                         verifyChecksums: verifyChecksums, containment: containment, pool: pool,
                                         prefixCache: prefixCache)
            guard loaded.contents.catalog.count == running.catalog.count else {
                throw HDRecInferenceError.inconsistent(field: "\(directory) catalog item count vs the running bundle's",
                                                    expected: "\(running.catalog.count)", found: "\(loaded.contents.catalog.count)")
            }
        } else {
            loaded = try HDRecModel.load(bundle: directory, basePath: basePath, verifyChecksums: verifyChecksums,
                                         containment: containment, pool: pool, prefixCache: prefixCache,
                                         activations: activations)
        }
        // The manifest's bytes as the load read them (one read, through the containment check).
        return HDRecEngine(loaded: loaded, manifestJSON: Array(loaded.contents.manifestData), pool: pool)
    }
}
