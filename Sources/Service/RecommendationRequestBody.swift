// The POST /recommend body (openapi.yaml RecommendRequest), validated into the
// HDRecInference's RecommendationRequest (IPL indices, α and fusion resolved), or an RFC 9457
// problem (docs/service.md "POST /recommend"): malformed JSON or wrong types -> 400 naming
// the field; unknown item ids -> 422 listing them; empty history -> 422; k outside
// 1...#items -> 422; alpha outside [0, 1] or an unknown fusion -> 422. Unknown members
// are 400 too, so a misspelt option is never ignored.
import HTTP
import JSON
import HDRecInference

extension RecommendationRequest {
    static let knownFields: Set<String> = ["history", "k", "alpha", "fusion", "exclude_history", "exclude", "explain"]
    /// k when the request has none (capped at the catalog size).
    public static let defaultK = 10

    /// Parses and validates a POST /recommend body against `catalog`, or throws a `Problem`.
    public init(body: [UInt8], catalog: Catalog, defaultAlpha: Float, defaultFusion: FusionMethod = .textDominant) throws {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch let error as JSONError {
            throw Problem.invalidBody(field: nil, detail: "the body is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else {
            throw Problem.invalidBody(field: nil, detail: "the body must be a JSON object, not \(json.typeName)")
        }
        if let unknown = members.first(where: { !Self.knownFields.contains($0.key) }) {
            throw Problem.invalidBody(field: unknown.key, detail: "unknown field '\(unknown.key)'; known fields: \(Self.knownFields.sorted().joined(separator: ", "))")
        }

        guard let historyValue = json["history"] else { throw Problem.invalidBody(field: "history", detail: "'history' is required") }
        let historyIDs = try Self.stringArray(historyValue, field: "history")
        let excludeIDs = try json["exclude"].map { try Self.stringArray($0, field: "exclude") } ?? []
        let kValue = try json["k"].map { try Self.integer($0, field: "k") }
        let alphaValue = try json["alpha"].map { try Self.number($0, field: "alpha") }
        let fusionName = try json["fusion"].map { try Self.string($0, field: "fusion") }
        let excludeHistory = try json["exclude_history"].map { try Self.bool($0, field: "exclude_history") } ?? false
        let explain = try json["explain"].map { try Self.bool($0, field: "explain") } ?? false

        // Semantic checks (422), after every type is known to be right.
        guard !historyIDs.isEmpty else {
            throw Problem.invalidValue(field: "history", detail: "'history' is empty: at least one item id is needed")
        }
        let unknownHistory = historyIDs.filter { catalog.index(of: $0) == nil }
        let unknownExclude = excludeIDs.filter { catalog.index(of: $0) == nil }
        if !unknownHistory.isEmpty || !unknownExclude.isEmpty {
            let all = Self.uniqued(unknownHistory + unknownExclude)
            let shown = all.prefix(20).joined(separator: ", ")
            let fields = [unknownHistory.isEmpty ? nil : "history", unknownExclude.isEmpty ? nil : "exclude"].compactMap { $0 }
            throw Problem(status: .unprocessableContent, title: "Unknown item ids",
                          detail: "\(all.count) item id(s) are not in the catalog: \(shown)\(all.count > 20 ? ", ..." : "")",
                          extensions: [("unknown_ids", .array(all.prefix(100).map { .string($0) })),
                                       ("field", .string(fields.joined(separator: ", ")))])
        }
        let k = kValue ?? min(Self.defaultK, catalog.count)
        guard k >= 1, k <= catalog.count else {
            throw Problem.invalidValue(field: "k", detail: "'k' is \(k); it must be in 1...\(catalog.count) (the catalog size)")
        }
        if let a = alphaValue {
            guard a >= 0, a <= 1 else { throw Problem.invalidValue(field: "alpha", detail: "'alpha' is \(a); it must be in [0, 1]") }
        }
        let fusion: FusionMethod
        if let name = fusionName {
            guard let f = FusionMethod(rawValue: name) else {
                let allowed = FusionMethod.allCases.map(\.rawValue).joined(separator: ", ")
                throw Problem.invalidValue(field: "fusion", detail: "'fusion' is \"\(name)\"; it must be one of \(allowed)")
            }
            fusion = f
        } else {
            fusion = defaultFusion
        }

        let history = historyIDs.compactMap { catalog.index(of: $0) }
        let excluded = Set(excludeIDs.compactMap { catalog.index(of: $0) })
        self.init(history: history, k: k, fusion: fusion, alpha: alphaValue.map { Float($0) } ?? defaultAlpha,
                  excludeHistory: excludeHistory, exclude: excluded, explain: explain)
    }

    // MARK: - Typed accessors

    private static func stringArray(_ v: JSONValue, field: String) throws -> [String] {
        guard case .array(let items) = v else { throw Self.wrongType(field, expected: "an array of item id strings", found: v) }
        return try items.enumerated().map { i, item in
            guard case .string(let s) = item else { throw Self.wrongType("\(field)[\(i)]", expected: "a string", found: item) }
            return s
        }
    }

    private static func integer(_ v: JSONValue, field: String) throws -> Int {
        guard case .number(let n) = v else { throw Self.wrongType(field, expected: "an integer", found: v) }
        let d = n.double
        guard d == d.rounded(), abs(d) < 1e9 else { throw Self.wrongType(field, expected: "an integer", found: v) }
        return Int(d)
    }

    private static func number(_ v: JSONValue, field: String) throws -> Double {
        guard case .number(let n) = v else { throw Self.wrongType(field, expected: "a number", found: v) }
        return n.double
    }

    private static func string(_ v: JSONValue, field: String) throws -> String {
        guard case .string(let s) = v else { throw Self.wrongType(field, expected: "a string", found: v) }
        return s
    }

    private static func bool(_ v: JSONValue, field: String) throws -> Bool {
        guard case .bool(let b) = v else { throw Self.wrongType(field, expected: "a boolean", found: v) }
        return b
    }

    // MARK: - Problems

    private static func wrongType(_ field: String, expected: String, found: JSONValue) -> Problem {
        let shown: String
        switch found {
        // Shown as a Double prints it ("2.50" as 2.5), as the answer always has.
        case .number(let n): shown = "the number \(JSONValue.number(n.double).serialized())"
        default: shown = found.typeName
        }
        return Problem.invalidBody(field: field, detail: "'\(field)' must be \(expected), not \(shown)")
    }

    private static func uniqued(_ ids: [String]) -> [String] {
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }
}

extension Problem {
    /// 400: a request body that is not what the endpoint reads (JSON, types, fields).
    static func invalidBody(field: String?, detail: String) -> Problem {
        Problem(status: .badRequest, title: "Invalid request body", detail: detail,
                extensions: field.map { [("field", .string($0))] } ?? [])
    }

    /// 422: a well-formed body whose value for `field` cannot be served.
    static func invalidValue(field: String, detail: String) -> Problem {
        Problem(status: .unprocessableContent, title: "Invalid request", detail: detail, extensions: [("field", .string(field))])
    }
}
