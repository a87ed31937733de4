// The JSON answer of a recommendation, in issue 6's /recommend shape, so that
// `hdrec recommend` prints exactly what the server returns:
//   {"items": [{"id", "score", "title", "text_score"?, "id_boost"?}],
//    "adapters": {"text", "id"}, "timing_ms": {"text_pass", "id_pass", "fusion", "total"},
//    "fusion", "alpha", "history_used": [ids]}
import Foundation

public struct RecommendationResponse: Sendable, Equatable, Codable {
    public struct Item: Sendable, Equatable, Codable {
        public var id: String
        public var score: Float
        public var title: String
        public var textScore: Float?
        public var idBoost: Float?

        enum CodingKeys: String, CodingKey {
            case id, score, title
            case textScore = "text_score"
            case idBoost = "id_boost"
        }
    }

    public struct Timing: Sendable, Equatable, Codable {
        public var textPass: Double
        public var idPass: Double
        public var fusion: Double
        public var total: Double

        enum CodingKeys: String, CodingKey {
            case textPass = "text_pass"
            case idPass = "id_pass"
            case fusion, total
        }
    }

    public var items: [Item]
    /// Adapter versions by role ("text", "id").
    public var adapters: [String: String]
    public var timingMs: Timing
    public var fusion: String
    public var alpha: Float
    /// External ids of the history items the prompts kept.
    public var historyUsed: [String]

    enum CodingKeys: String, CodingKey {
        case items, adapters, fusion, alpha
        case timingMs = "timing_ms"
        case historyUsed = "history_used"
    }

    /// Maps a recommendation's indices to the catalog's ids and titles.
    public init(_ r: Recommendation, catalog: Catalog, versions: [AdapterRole: String]) {
        items = r.items.map { item in
            let c = catalog.items[item.index]
            return Item(id: c.id, score: item.score, title: c.title, textScore: item.textScore, idBoost: item.idBoost)
        }
        adapters = Dictionary(uniqueKeysWithValues: versions.map { ($0.key.rawValue, $0.value) })
        timingMs = Timing(textPass: r.timing.textPass, idPass: r.timing.idPass, fusion: r.timing.fusion, total: r.timing.total)
        fusion = r.fusion.rawValue
        alpha = r.alpha
        historyUsed = r.usedHistory.map { catalog.items[$0].id }
    }

    /// Pretty or compact JSON with sorted keys.
    public func json(pretty: Bool = true) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}
