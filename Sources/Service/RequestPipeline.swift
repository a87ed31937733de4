// The middleware every request passes through, outermost first: X-Request-Id (echoed
// when the client sent a sane one, generated otherwise), the in-flight gauge, the route
// handler, then request metrics and one JSON access-log line. Route labels are route
// patterns ("unmatched" otherwise) and unknown methods are "other", so label sets stay bounded.
import HTTP
import Logging
import Support
import Synchronization

struct RequestPipeline: HTTPResponder {
    let router: Router
    let metrics: ServiceMetrics
    let logger: Logger

    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        let start = monotonicSeconds()
        let context = begin(request, context)
        let match = router.match(method: request.method, path: request.path)
        let response = await router.respond(to: request, context: context, match: match)
        return finish(request, context, response, route: Router.label(of: match), start: start)
    }

    /// Probes and routing errors are answered on the server's I/O thread, with the same
    /// request id, metrics and access log as every other request.
    func respondInline(to request: HTTPRequest, context: RequestContext) -> HTTPResponse? {
        let start = monotonicSeconds()
        let context = begin(request, context)
        let match = router.match(method: request.method, path: request.path)
        guard let response = router.respondInline(to: request, context: context, match: match) else {
            metrics.inflight.add(-1)
            return nil
        }
        return finish(request, context, response, route: Router.label(of: match), start: start)
    }

    private func begin(_ request: HTTPRequest, _ context: RequestContext) -> RequestContext {
        var context = context
        context.requestID = RequestPipeline.validID(request.headers["X-Request-Id"]) ?? RequestPipeline.newID()
        metrics.inflight.add(1)
        return context
    }

    private func finish(_ request: HTTPRequest, _ context: RequestContext, _ response: HTTPResponse, route: String, start: Double) -> HTTPResponse {
        var response = response
        let requestID = context.requestID
        metrics.inflight.add(-1)
        response.headers.set("X-Request-Id", requestID)

        let duration = monotonicSeconds() - start
        let method = RequestPipeline.knownMethods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        metrics.requests.increment([route, method, "\(response.status.code)"])
        metrics.requestDuration.observe(duration, [route])
        guard logger.logLevel <= .info else { return response }
        let record = AccessLogRecord(
            requestID: requestID, remote: context.remoteAddress, method: request.method.rawValue,
            path: String(request.path.prefix(256)), route: route, status: response.status.code, durationSeconds: duration,
            bytesIn: request.body.count, bytesOut: response.body.count,
            userAgent: String((request.headers["User-Agent"] ?? "").prefix(128)))
        if let handler = logger.handler as? JSONLineLogHandler, handler.logAccess(record) { return response }
        logger.info("request", metadata: record.metadata)
        return response
    }

    /// A client id is echoed only if it is 1-128 of [A-Za-z0-9._:-] (safe in logs and headers).
    static func validID(_ s: String?) -> String? {
        guard let s, !s.isEmpty, s.utf8.count <= 128,
              s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 46 || $0 == 95 || $0 == 58 || $0 == 45 })
        else { return nil }
        return s
    }

    /// Request ids only need to be unique, not secret: a random per-process prefix and a
    /// counter (a getrandom call per request showed up in /healthz profiles).
    static func newID() -> String {
        let n = requestCounter.add(1, ordering: .relaxed).newValue
        return processPrefix + String(n, radix: 16).leftPadded(16)
    }

    private static let processPrefix: String = {
        var g = SystemRandomNumberGenerator()
        return String(g.next() as UInt64, radix: 16).leftPadded(16)
    }()
    private static let requestCounter = Atomic<UInt64>(0)
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
