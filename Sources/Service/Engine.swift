// The contract between the service and the model: one loaded bundle answers batches of
// recommendation queries. The service owns HTTP, validation, batching, hot-swap and
// metrics; an engine owns the two passes (text adapter and ID adapter over the shared
// base), fusion (Eqs. 13-18) and top-k. See docs/service.md "Plugging in the engine".
import HDRecInference

// Requests and answers are the HDRecInference module's own types (one definition, shared
// with `hdrec recommend` and `hdrec evaluate`): `RecommendationRequest` (IPL indices;
// the service fills in `alpha` and `fusion` with the bundle's defaults when a request
// names none) and `Recommendation` (items best first, stage timings in milliseconds).

/// One loaded bundle: base + adapter pair + heads + catalog. Immutable once loaded, so
/// requests already running keep using it safely after a swap; it is released (ARC) when
/// the last request holding it ends.
public protocol RecommendationEngine: AnyObject, Sendable {
    /// Items in IPL order; requests and responses use `CatalogItem.id`.
    var catalog: Catalog { get }
    var versions: AdapterVersions { get }
    /// The bundle's α, chosen on validation: the default for requests without `alpha`.
    var defaultAlpha: Float { get }
    /// The fusion for requests without `fusion` (the bundle's `fusion.method`; the paper's
    /// text-dominant unless the bundle says otherwise).
    var defaultFusion: FusionMethod { get }
    /// The bundle's manifest.json bytes, served by `GET /model`.
    var manifestJSON: [UInt8] { get }
    /// Threads the engine's matrix products run on (`--threads`), when it has a pool of
    /// its own; reported by `GET /readyz`.
    var decoderThreads: Int? { get }
    /// Runs both passes for every request (batched: one forward per pass where possible),
    /// then fusion and top-k, as `HDRecModel.recommend` does. Returns one answer per
    /// request, in order. Called from one inference thread at a time.
    func recommend(_ batch: [RecommendationRequest]) throws -> [Recommendation]
    /// One throwaway request so first-request latency is paid before `/readyz` says ready.
    func warmUp() throws
    /// Prefix-cache counters, for engines that cache prompt prefixes (nil otherwise).
    var prefixCacheStats: PrefixCacheStats.Counters? { get }
}

extension RecommendationEngine {
    public var prefixCacheStats: PrefixCacheStats.Counters? { nil }
}

extension RecommendationEngine {
    public var defaultFusion: FusionMethod { .textDominant }
    public var decoderThreads: Int? { nil }
}

/// Loads bundles. The first load reads a whole bundle (`--artifacts`); later loads
/// (hot-swap, rollback, SIGHUP, --watch) get the running engine as `current` so they can
/// share its base weights and catalog, and must validate the new adapter pair and heads
/// against it (base sha256, shapes and ranks, item count, SASRec table hash). Any thrown
/// error rejects the swap with 422 and its description; the old pair keeps serving.
public protocol EngineLoader: Sendable {
    func load(directory: String, replacing current: (any RecommendationEngine)?) throws -> any RecommendationEngine
    /// The same, with every file the load opens required to lie under `containment`'s root
    /// (bundles admitted through PUT /adapters: docs/service.md "Containment").
    func load(directory: String, replacing current: (any RecommendationEngine)?,
              containment: BundleContainment?) throws -> any RecommendationEngine
}

extension EngineLoader {
    /// For loaders that open no bundle files (the tests' fake engines): nothing to contain.
    public func load(directory: String, replacing current: (any RecommendationEngine)?,
                     containment: BundleContainment?) throws -> any RecommendationEngine {
        try load(directory: directory, replacing: current)
    }
}
