// The POST /recommend answer (openapi.yaml RecommendResponse): items with id, score and
// title (plus text_score and id_boost with `explain`), the adapter versions that
// produced them, and stage timings in milliseconds. The same fields, names and meaning
// as Recommender's RecommendationResponse, which `hdrec recommend` prints (the CLI adds
// `fusion`, `alpha` and `history_used`).
import HTTP
import Recommender

enum RecommendResponse {
    static func render(_ output: Recommendation, query: RecommendationRequest, engine: any RecommendationEngine,
                       totalSeconds: Double) -> HTTPResponse {
        let items = engine.catalog.items
        let rendered: [JSONValue] = output.items.compactMap { item in
            guard item.index >= 0, item.index < items.count else { return nil }
            var m: [(String, JSONValue)] = [("id", .string(items[item.index].id)), ("score", .number(Double(item.score))),
                                            ("title", .string(items[item.index].title))]
            if query.explain {
                m.append(("text_score", item.textScore.map { .number(Double($0)) } ?? .null))
                m.append(("id_boost", item.idBoost.map { .number(Double($0)) } ?? .null))
            }
            return .object(m)
        }
        func ms(_ milliseconds: Double) -> JSONValue { .number((milliseconds * 1e3).rounded() / 1e3) }
        return .json(.object([
            ("items", .array(rendered)),
            ("adapters", versionsJSON(engine.versions)),
            ("timing_ms", .object([("text_pass", ms(output.timing.textPass)), ("id_pass", ms(output.timing.idPass)),
                                   ("fusion", ms(output.timing.fusion)), ("total", ms(totalSeconds * 1e3))])),
        ]))
    }
}
