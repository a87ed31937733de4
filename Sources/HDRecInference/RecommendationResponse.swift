// The JSON answer to one recommendation, for POST /recommend and `hdrec recommend` alike
// (openapi.yaml RecommendResponse):
//   {"items": [{"id", "score", "title", "text_score"?, "id_boost"?}],
//    "adapters": {"text", "id"}, "timing_ms": {"text_pass", "id_pass", "fusion", "total"}}
// `hdrec recommend` prints the same object followed by what the server leaves to the
// caller: "fusion", "alpha" and "history_used" (the external ids the prompts kept).
import JSON

public struct RecommendationResponse: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var id: String
        public var score: Float
        public var title: String
        public var textScore: Float?
        public var idBoost: Float?
    }

    public var items: [Item]
    /// Nil for a model built in memory rather than loaded from a bundle.
    public var adapters: AdapterVersions?
    /// Whether items carry `text_score` and `id_boost` (null when a pass did not run).
    public var explain: Bool
    /// Stage timings in milliseconds.
    public var timing: RecommendationTiming
    public var fusion: FusionMethod
    public var alpha: Float
    public var historyUsed: [String]

    /// Maps a recommendation's indices to the catalog's ids and titles (indices outside
    /// the catalog are left out). `totalMilliseconds` replaces the model's own total when
    /// the caller measured more (the server counts parsing and queueing too).
    public init(_ r: Recommendation, catalog: Catalog, versions: AdapterVersions?, explain: Bool,
                totalMilliseconds: Double? = nil) {
        items = r.items.compactMap { item in
            guard catalog.items.indices.contains(item.index) else { return nil }
            let c = catalog.items[item.index]
            return Item(id: c.id, score: item.score, title: c.title, textScore: item.textScore, idBoost: item.idBoost)
        }
        adapters = versions
        self.explain = explain
        timing = r.timing
        if let totalMilliseconds { timing.total = totalMilliseconds }
        fusion = r.fusion
        alpha = r.alpha
        historyUsed = r.usedHistory.compactMap { catalog.items.indices.contains($0) ? catalog.items[$0].id : nil }
    }

    /// The POST /recommend body. Scores print as the Double of their Float; timings are
    /// rounded to the microsecond.
    public var json: JSONValue { .object(members) }

    /// `hdrec recommend`'s output: the /recommend body plus fusion, alpha and history_used.
    public var commandJSON: JSONValue {
        .object(members + [
            JSONMember("fusion", .string(fusion.rawValue)),
            JSONMember("alpha", JSONNumber(shortest: alpha).map(JSONValue.number) ?? .null),
            JSONMember("history_used", .array(historyUsed.map(JSONValue.string))),
        ])
    }

    private var members: [JSONMember] {
        let rendered: [JSONValue] = items.map { item in
            var m: [(String, JSONValue)] = [("id", .string(item.id)), ("score", .number(Double(item.score))),
                                            ("title", .string(item.title))]
            if explain {
                m.append(("text_score", item.textScore.map { .number(Double($0)) } ?? .null))
                m.append(("id_boost", item.idBoost.map { .number(Double($0)) } ?? .null))
            }
            return .object(m)
        }
        func ms(_ milliseconds: Double) -> JSONValue { .number((milliseconds * 1e3).rounded() / 1e3) }
        return [
            JSONMember("items", .array(rendered)),
            JSONMember("adapters", adapters?.json ?? .null),
            JSONMember("timing_ms", .object([("text_pass", ms(timing.textPass)), ("id_pass", ms(timing.idPass)),
                                             ("fusion", ms(timing.fusion)), ("total", ms(timing.total))])),
        ]
    }
}
