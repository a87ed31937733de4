// Routing: method + path pattern -> handler, with 404 and 405 (+ `Allow`, RFC 9110
// §15.5.6) answered as problem+json. Pure and in-process testable: the server and the
// tests call `respond(to:context:)` the same way (Hummingbird's `.router` test mode).
// Patterns are literal segments or `:name` parameters; a literal beats a parameter.

/// Per-request context passed to handlers.
public struct RequestContext: Sendable {
    /// The `X-Request-Id` the response will carry.
    public var requestID: String
    /// Peer address ("127.0.0.1:53412"), or "" in-process.
    public var remoteAddress: String
    /// Values of `:name` path parameters.
    public var parameters: [String: String]
    /// The route pattern that matched (e.g. "/adapters"), or "unmatched"; a bounded
    /// label set for metrics.
    public var route: String

    public init(requestID: String = "", remoteAddress: String = "", parameters: [String: String] = [:], route: String = "") {
        self.requestID = requestID
        self.remoteAddress = remoteAddress
        self.parameters = parameters
        self.route = route
    }
}

/// Anything that turns a request into a response. Handlers run as Swift tasks; a client
/// that resets its connection cancels the task, so long waits should be cancellation-aware.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse
    /// The response, when it can be made at once without waiting on anything (probes,
    /// 404s): the server then answers on its I/O thread instead of starting a task.
    /// nil means "run `respond`".
    func respondInline(to request: HTTPRequest, context: RequestContext) -> HTTPResponse?
}

extension HTTPResponder {
    public func respondInline(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? { nil }
}

public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) async -> HTTPResponse
/// A handler that never waits (no locks held long, no I/O): safe on the server's I/O thread.
public typealias InlineHTTPHandler = @Sendable (HTTPRequest, RequestContext) -> HTTPResponse

public struct Route: Sendable {
    public let method: HTTPMethod
    public let pattern: String
    public let handler: HTTPHandler
    /// Set for routes registered with `onInline`.
    public let inlineHandler: InlineHTTPHandler?
    let segments: [Substring]
}

public struct Router: HTTPResponder {
    public private(set) var routes: [Route] = []
    /// Routes without parameters by their canonical path ("/healthz"): most requests
    /// (probes, /recommend) are answered without splitting their path.
    private var literalRoutes: [String: [Int]] = [:]

    public init() {}

    /// Registers `handler` for `method` on `pattern` (e.g. "/adapters/:name").
    public mutating func on(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping HTTPHandler) {
        add(Route(method: method, pattern: pattern, handler: handler, inlineHandler: nil, segments: Router.split(pattern)))
    }

    /// Registers a handler that answers at once (see `InlineHTTPHandler`).
    public mutating func onInline(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping InlineHTTPHandler) {
        add(Route(method: method, pattern: pattern, handler: { handler($0, $1) }, inlineHandler: handler,
                  segments: Router.split(pattern)))
    }

    private mutating func add(_ route: Route) {
        if !route.segments.contains(where: { $0.first == ":" }) {
            literalRoutes["/" + route.segments.joined(separator: "/"), default: []].append(routes.count)
        }
        routes.append(route)
    }

    /// The (method, pattern) pairs, sorted: the route table that openapi.yaml must match.
    public var table: [(method: HTTPMethod, pattern: String)] {
        routes.map { ($0.method, $0.pattern) }.sorted { ($0.pattern, $0.method.rawValue) < ($1.pattern, $1.method.rawValue) }
    }

    public enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists but not for this method; `allow` lists the methods that do.
        case methodNotAllowed(pattern: String, allow: [HTTPMethod])
        case notFound
    }

    /// Finds the route for a method and path. HEAD matches a GET route.
    public func match(method: HTTPMethod, path: String) -> Match {
        // A literal route on exactly this path has the most literal segments possible, so
        // it is what the scan below would choose (the first registered, on a tie).
        if let candidates = literalRoutes[path] {
            for i in candidates where routes[i].method == method || (method == .head && routes[i].method == .get) {
                return .found(routes[i], parameters: [:])
            }
        }
        let parts = Router.split(path)
        var best: (index: Int, params: [String: String], literals: Int)?
        for (i, route) in routes.enumerated() where route.method == method || (method == .head && route.method == .get) {
            guard let (params, literals) = Router.bind(route.segments, parts) else { continue }
            if best == nil || literals > best!.literals { best = (i, params, literals) }
        }
        if let best { return .found(routes[best.index], parameters: best.params) }
        // No route for this method: is the path known under others (405) or not at all (404)?
        var allowed: Set<HTTPMethod> = []
        var allowedPattern = ""
        for route in routes where Router.bind(route.segments, parts) != nil {
            allowed.insert(route.method)
            if route.method == .get { allowed.insert(.head) }
            allowedPattern = route.pattern
        }
        if !allowed.isEmpty { return .methodNotAllowed(pattern: allowedPattern, allow: allowed.sorted()) }
        return .notFound
    }

    public func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        await respond(to: request, context: context, match: match(method: request.method, path: request.path))
    }

    /// `respond(to:context:)` for a request already matched (the caller needed the route too).
    public func respond(to request: HTTPRequest, context: RequestContext, match: Match) async -> HTTPResponse {
        var context = context
        switch match {
        case let .found(route, parameters):
            context.parameters = parameters
            context.route = route.pattern
            return await route.handler(request, context)
        case let .methodNotAllowed(pattern, allow):
            return Router.methodNotAllowed(request, pattern: pattern, allow: allow)
        case .notFound:
            return Router.notFound(request)
        }
    }

    public func respondInline(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        respondInline(to: request, context: context, match: match(method: request.method, path: request.path))
    }

    /// `respondInline(to:context:)` for a request already matched.
    public func respondInline(to request: HTTPRequest, context: RequestContext, match: Match) -> HTTPResponse? {
        var context = context
        switch match {
        case let .found(route, parameters):
            guard let inline = route.inlineHandler else { return nil }
            context.parameters = parameters
            context.route = route.pattern
            return inline(request, context)
        case let .methodNotAllowed(pattern, allow):
            return Router.methodNotAllowed(request, pattern: pattern, allow: allow)
        case .notFound:
            return Router.notFound(request)
        }
    }

    static func methodNotAllowed(_ request: HTTPRequest, pattern: String, allow: [HTTPMethod]) -> HTTPResponse {
        let list = allow.map(\.rawValue).joined(separator: ", ")
        return Problem(status: .methodNotAllowed, detail: "\(request.method) is not allowed on \(pattern); allowed: \(list)",
                       headers: HTTPHeaders([("Allow", list)])).response
    }

    static func notFound(_ request: HTTPRequest) -> HTTPResponse {
        Problem(status: .notFound, detail: "no route for \(request.path)").response
    }

    /// The route label for metrics: the matched pattern, or "unmatched".
    public func routeLabel(method: HTTPMethod, path: String) -> String {
        Router.label(of: match(method: method, path: path))
    }

    /// The route label of a match: its pattern, or "unmatched".
    public static func label(of match: Match) -> String {
        switch match {
        case let .found(route, _): return route.pattern
        case let .methodNotAllowed(pattern, _): return pattern
        case .notFound: return "unmatched"
        }
    }

    static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    static func bind(_ pattern: [Substring], _ parts: [Substring]) -> ([String: String], Int)? {
        guard pattern.count == parts.count else { return nil }
        var params: [String: String] = [:]
        var literals = 0
        for (p, s) in zip(pattern, parts) {
            if p.first == ":" { params[String(p.dropFirst())] = String(s) }
            else if p == s { literals += 1 }
            else { return nil }
        }
        return (params, literals)
    }
}
