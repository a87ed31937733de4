// Problem details for HTTP APIs (RFC 9457): every error response of the service is an
// `application/problem+json` object with `type`, `title`, `status`, `detail` and
// optional extension members (e.g. `unknown_ids`, `field`). One place renders them so
// the shape is the same for parser errors, routing errors and validation errors.
import JSON

public struct Problem: Error, Sendable, Equatable {
    /// A URI identifying the problem type; "about:blank" means "see the status code".
    public var type: String
    public var title: String
    public var status: HTTPStatus
    public var detail: String?
    /// Extension members (RFC 9457 §3.2), in order.
    public var extensions: [(String, JSONValue)]
    /// Extra response headers (e.g. `Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPHeaders

    public init(status: HTTPStatus, title: String? = nil, detail: String? = nil, type: String = "about:blank",
                extensions: [(String, JSONValue)] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.title = title ?? status.reason
        self.detail = detail
        self.type = type
        self.extensions = extensions
        self.headers = headers
    }

    public static func == (a: Problem, b: Problem) -> Bool { a.json == b.json && a.headers == b.headers }

    /// The problem object.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string(type)), ("title", .string(title)), ("status", .number(Double(status.code))),
        ]
        if let detail { members.append(("detail", .string(detail))) }
        members.append(contentsOf: extensions)
        return .object(members)
    }

    /// The response carrying this problem.
    public var response: HTTPResponse {
        var h = headers
        h.set("Content-Type", "application/problem+json")
        return HTTPResponse(status: status, headers: h, body: Array(json.serialized().utf8))
    }

    /// The problem for a request the parser rejected.
    public static func from(_ error: HTTPError) -> Problem {
        Problem(status: error.status, detail: error.description)
    }
}
