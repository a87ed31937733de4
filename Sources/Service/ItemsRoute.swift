// GET /items: the catalog, searched by title or looked up by id (openapi.yaml /items).
//   ?q=<text>&limit=<1...100>&cursor=<opaque>   titles containing q (case- and accent-
//                                               insensitive; CatalogSearch), catalog order
//   ?ids=<id>,<id>                              those items, in that order (the page
//                                               resolves a deep link's history with it)
// Answer: {"items": [{"id", "title"}], "total": <matches>, "next_cursor": <string|null>}.
// Parameters that do not parse (bad escapes, a non-integer limit, an unknown or repeated
// parameter, a foreign cursor) are 400; well-formed values out of range are 422, as for
// POST /recommend. Every problem names its parameter in `field`.
import HTTP
import JSON
import HDRecInference

enum ItemsRoute {
    static let defaultLimit = 20
    static let maxLimit = 100
    /// Longer queries are refused: a title search needs no more, and it bounds the work.
    static let maxQueryCharacters = 200
    static let maxIDs = 100

    enum Query: Equatable {
        case search(q: String, limit: Int, from: Int)
        case lookup(ids: [String])
    }

    static func respond(_ req: HTTPRequest, engine: any RecommendationEngine, search: CatalogSearch) -> HTTPResponse {
        do {
            switch try parse(req.query) {
            case let .search(q, limit, from):
                let found = search.search(q, from: from, limit: limit)
                return render(found.items, catalog: engine.catalog, total: found.total,
                              next: found.next.map { SearchCursor(position: $0, query: q).encoded })
            case .lookup(let ids):
                let indices = try lookUp(ids, in: engine.catalog)
                return render(indices, catalog: engine.catalog, total: indices.count, next: nil)
            }
        } catch {
            return error.response
        }
    }

    static func parse(_ query: String?) throws(Problem) -> Query {
        let pairs: [(name: String, value: String, raw: Substring.UTF8View)]
        do { pairs = try QueryString.parse(query) } catch { throw malformed(error.name ?? "query", error.detail) }
        var seen = Set<String>()
        for p in pairs {
            guard ["q", "limit", "cursor", "ids"].contains(p.name) else {
                throw malformed(p.name, "unknown parameter '\(p.name)'; GET /items takes q, limit, cursor or ids")
            }
            guard seen.insert(p.name).inserted else { throw malformed(p.name, "'\(p.name)' is given more than once") }
        }
        func value(_ name: String) -> (value: String, raw: Substring.UTF8View)? {
            pairs.first { $0.name == name }.map { ($0.value, $0.raw) }
        }
        if let ids = value("ids") {
            if let other = ["q", "limit", "cursor"].first(where: { value($0) != nil }) {
                throw malformed(other, "'ids' looks items up by id; it does not combine with '\(other)'")
            }
            return .lookup(ids: try splitIDs(ids.raw))
        }
        let q = value("q")?.value ?? ""
        guard q.count <= maxQueryCharacters else {
            throw unprocessable("q", "'q' has \(q.count) characters; at most \(maxQueryCharacters)")
        }
        var limit = defaultLimit
        if let text = value("limit")?.value {
            guard let n = Int(text) else { throw malformed("limit", "'limit' must be an integer, not '\(text.prefix(40))'") }
            guard n >= 1, n <= maxLimit else { throw unprocessable("limit", "'limit' is \(n); it must be in 1...\(maxLimit)") }
            limit = n
        }
        var from = 0
        if let text = value("cursor")?.value {
            guard let cursor = SearchCursor.decode(text) else {
                throw malformed("cursor", "'cursor' is not a cursor this server issued; pass next_cursor back as is")
            }
            guard cursor.queryHash == SearchCursor(position: 0, query: q).queryHash else {
                throw malformed("cursor", "'cursor' was issued for another 'q'; a cursor continues the search that returned it")
            }
            from = cursor.position
        }
        return .search(q: q, limit: limit, from: from)
    }

    /// `ids` is a comma-separated list whose elements are each percent-encoded, so an id
    /// holding a comma travels as %2C: split on the raw commas first, then decode.
    private static func splitIDs(_ raw: Substring.UTF8View) throws(Problem) -> [String] {
        var ids: [String] = []
        for piece in raw.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard let id = QueryString.decode(piece) else { throw malformed("ids", "an element of 'ids' is not valid percent-encoded UTF-8") }
            guard !id.isEmpty else { throw malformed("ids", "'ids' has an empty element") }
            ids.append(id)
        }
        guard ids.count <= maxIDs else { throw unprocessable("ids", "'ids' has \(ids.count) elements; at most \(maxIDs)") }
        return ids
    }

    private static func lookUp(_ ids: [String], in catalog: Catalog) throws(Problem) -> [Int] {
        let unknown = ids.filter { catalog.index(of: $0) == nil }
        guard unknown.isEmpty else {
            throw Problem(status: .unprocessableContent, title: "Unknown item ids",
                          detail: "\(unknown.count) item id(s) are not in the catalog: \(unknown.prefix(20).joined(separator: ", "))",
                          extensions: [("unknown_ids", .array(unknown.map { .string($0) })), ("field", .string("ids"))])
        }
        return ids.compactMap { catalog.index(of: $0) }
    }

    private static func render(_ indices: [Int], catalog: Catalog, total: Int, next: String?) -> HTTPResponse {
        let items: [JSONValue] = indices.map { i in
            .object([("id", .string(catalog.items[i].id)), ("title", .string(catalog.items[i].title))])
        }
        return .json(.object([("items", .array(items)), ("total", .number(Double(total))),
                              ("next_cursor", next.map { .string($0) } ?? .null)]))
    }

    private static func malformed(_ field: String, _ detail: String) -> Problem {
        Problem(status: .badRequest, title: "Invalid query parameter", detail: detail, extensions: [("field", .string(field))])
    }

    private static func unprocessable(_ field: String, _ detail: String) -> Problem {
        Problem(status: .unprocessableContent, title: "Invalid query parameter", detail: detail, extensions: [("field", .string(field))])
    }
}
