// The contract between the service and the model: one loaded bundle answers batches of
// recommendation queries. The service owns HTTP, validation, batching, hot-swap and
// metrics; an engine owns the two passes (text adapter and ID adapter over the shared
// base), fusion (Eqs. 13-18) and top-k. See docs/service.md "Plugging in the engine".
import Recommender

/// Adapter versions: the first 12 hex digits of the sha256 of each adapter's
/// adapter_model.safetensors (BundleLayout.adapterVersion).
public struct AdapterVersions: Sendable, Equatable, Hashable {
    public var text: String
    public var id: String
    public init(text: String, id: String) {
        self.text = text
        self.id = id
    }
}

/// One validated request, in catalog indices (IPL order).
public struct RecommendQuery: Sendable, Equatable {
    /// The user's history, oldest first. Non-empty, every index < catalog.count.
    public var history: [Int]
    /// How many items to return, 1...catalog.count.
    public var k: Int
    /// α of Eq. 17, in [0, 1].
    public var alpha: Float
    public var fusion: FusionMethod
    /// Indices never to return (`exclude`, plus the history with `exclude_history`).
    public var excluded: Set<Int>
    /// Fill `textScore` and `idBoost` of each item.
    public var explain: Bool

    public init(history: [Int], k: Int, alpha: Float, fusion: FusionMethod = .textDominant,
                excluded: Set<Int> = [], explain: Bool = false) {
        self.history = history
        self.k = k
        self.alpha = alpha
        self.fusion = fusion
        self.excluded = excluded
        self.explain = explain
    }
}

/// One ranked item.
public struct RecommendedItem: Sendable, Equatable {
    /// Catalog index.
    public var index: Int
    /// The fused ranking score.
    public var score: Float
    /// z_text of the item (with `explain`).
    public var textScore: Float?
    /// E of Eq. 17 for the item: what the ID pass added (with `explain`).
    public var idBoost: Float?

    public init(index: Int, score: Float, textScore: Float? = nil, idBoost: Float? = nil) {
        self.index = index
        self.score = score
        self.textScore = textScore
        self.idBoost = idBoost
    }
}

/// Seconds spent in each stage of the batch that answered a query.
public struct StageTimings: Sendable, Equatable {
    public var textPass: Double
    public var idPass: Double
    public var fusion: Double
    public init(textPass: Double, idPass: Double, fusion: Double) {
        self.textPass = textPass
        self.idPass = idPass
        self.fusion = fusion
    }
}

/// The answer to one query.
public struct RecommendOutput: Sendable, Equatable {
    /// Best first, at most `k`, none of them excluded.
    public var items: [RecommendedItem]
    public var timings: StageTimings
    public init(items: [RecommendedItem], timings: StageTimings) {
        self.items = items
        self.timings = timings
    }
}

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
    /// Runs both passes for every query (batched: one forward per pass where possible),
    /// then fusion and top-k. Returns one output per query, in order. Called from one
    /// inference thread at a time.
    func recommend(_ batch: [RecommendQuery]) throws -> [RecommendOutput]
    /// One throwaway request so first-request latency is paid before `/readyz` says ready.
    func warmUp() throws
}

extension RecommendationEngine {
    public var defaultFusion: FusionMethod { .textDominant }
}

/// Loads bundles. The first load reads a whole bundle (`--artifacts`); later loads
/// (hot-swap, rollback, SIGHUP, --watch) get the running engine as `current` so they can
/// share its base weights and catalog, and must validate the new adapter pair and heads
/// against it (base sha256, shapes and ranks, item count, SASRec table hash). Any thrown
/// error rejects the swap with 422 and its description; the old pair keeps serving.
public protocol EngineLoader: Sendable {
    func load(directory: String, replacing current: (any RecommendationEngine)?) throws -> any RecommendationEngine
}
