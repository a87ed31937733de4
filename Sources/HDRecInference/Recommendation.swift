// The request and response types of HDRec inference, shared by
// `hdrec recommend`, `hdrec evaluate` and the server (the /recommend body of openapi.yaml
// maps onto these one to one; the service's engine contract uses them directly).

/// One recommendation request, already mapped to IPL indices.
public struct RecommendationRequest: Sendable, Equatable {
    /// The user's history, oldest first (IPL indices).
    public var history: [Int]
    /// How many items to return (1...I).
    public var k: Int
    /// Fusion method; nil = the bundle's default.
    public var fusion: FusionMethod?
    /// α; nil = the bundle's default (chosen on validation).
    public var alpha: Float?
    /// Leave the history's items out of the result (default false, as in the paper).
    public var excludeHistory: Bool
    /// More items to leave out.
    public var exclude: Set<Int>
    /// Attach z_text and the ID boost to each item.
    public var explain: Bool

    public init(history: [Int], k: Int = 10, fusion: FusionMethod? = nil, alpha: Float? = nil,
                excludeHistory: Bool = false, exclude: Set<Int> = [], explain: Bool = false) {
        self.history = history
        self.k = k
        self.fusion = fusion
        self.alpha = alpha
        self.excludeHistory = excludeHistory
        self.exclude = exclude
        self.explain = explain
    }
}

/// One recommended item.
public struct RecommendedItem: Sendable, Equatable {
    /// IPL index (= catalog line).
    public var index: Int
    /// The fused score.
    public var score: Float
    /// z_text of this item (with `explain`).
    public var textScore: Float?
    /// E of Eq. 17 on the ID pass for this item (with `explain`).
    public var idBoost: Float?

    public init(index: Int, score: Float, textScore: Float? = nil, idBoost: Float? = nil) {
        self.index = index
        self.score = score
        self.textScore = textScore
        self.idBoost = idBoost
    }
}

/// Wall-clock milliseconds of each stage. With batching, the pass times are
/// those of the whole batch's pass, which every request in it shared.
public struct RecommendationTiming: Sendable, Equatable, Codable {
    public var textPass: Double
    public var idPass: Double
    public var fusion: Double
    public var total: Double

    public init(textPass: Double = 0, idPass: Double = 0, fusion: Double = 0, total: Double = 0) {
        self.textPass = textPass
        self.idPass = idPass
        self.fusion = fusion
        self.total = total
    }
}

/// The answer to one request.
public struct Recommendation: Sendable, Equatable {
    public var items: [RecommendedItem]
    /// The fusion and α actually used.
    public var fusion: FusionMethod
    public var alpha: Float
    /// The history items the prompts kept (after `maxItems` and the token budget).
    public var usedHistory: [Int]
    public var timing: RecommendationTiming

    public init(items: [RecommendedItem], fusion: FusionMethod, alpha: Float, usedHistory: [Int], timing: RecommendationTiming) {
        self.items = items
        self.fusion = fusion
        self.alpha = alpha
        self.usedHistory = usedHistory
        self.timing = timing
    }
}
