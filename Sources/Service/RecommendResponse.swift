// The POST /recommend answer (openapi.yaml RecommendResponse): items with id, score and
// title (plus text_score and id_boost with `explain`), the adapter versions that
// produced them, and stage timings in milliseconds.
import HTTP

enum RecommendResponse {
    static func render(_ output: RecommendOutput, query: RecommendQuery, engine: any RecommendationEngine,
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
        func ms(_ s: Double) -> JSONValue { .number((s * 1e6).rounded() / 1e3) }
        return .json(.object([
            ("items", .array(rendered)),
            ("adapters", versionsJSON(engine.versions)),
            ("timing_ms", .object([("text_pass", ms(output.timings.textPass)), ("id_pass", ms(output.timings.idPass)),
                                   ("fusion", ms(output.timings.fusion)), ("total", ms(totalSeconds))])),
        ]))
    }
}
