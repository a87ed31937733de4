// The service's routes (openapi.yaml is their contract; a test keeps the two in sync):
//   POST /recommend               inference (API key when configured)
//   GET  /healthz                 liveness: answered on the I/O path, never queued
//   GET  /readyz                  ready once a bundle is loaded and warmed, until drain
//   GET  /metrics                 Prometheus text 0.0.4
//   GET  /model                   the bundle manifest
//   GET  /items                   catalog search by title, or lookup by ids (API key when configured)
//   GET  /, /ui/app.js, /ui/app.css   the page for people (WebUI; off with --no-ui)
//   GET  /adapters, PUT /adapters, POST /adapters/rollback   admin (Bearer token)
// Every response goes through `RequestPipeline` (request id, metrics, access log).
import Foundation
import HTTP
import JSON
import Logging
import HDRecInference
import Support
import Synchronization

public final class RecommendationService: Sendable {
    public let config: ServiceConfig
    public let registry: EngineRegistry
    public let queue: BatchQueue
    public let metrics: ServiceMetrics
    public let logger: Logger
    private let draining = Mutex(false)
    private let routerBox = Mutex(Router())

    public init(config: ServiceConfig, loader: any EngineLoader, logger: Logger,
                openConnections: @escaping @Sendable () -> Int = { 0 }) {
        self.config = config
        self.logger = logger
        metrics = ServiceMetrics(openConnections: openConnections)
        registry = EngineRegistry(loader: loader, metrics: metrics)
        queue = BatchQueue(maxQueue: config.maxQueue, maxBatch: config.maxBatch, window: config.batchWindow, metrics: metrics)
        routerBox.withLock { $0 = makeRouter() }
        registerPrefixCacheMetrics()
    }

    private func registerPrefixCacheMetrics() {
        let registry = self.registry
        func counter(_ name: String, _ help: String, _ value: @escaping @Sendable (PrefixCacheStats.Counters) -> Int) {
            metrics.registry.counter(name, help: help) { Double(registry.current?.prefixCacheStats.map(value) ?? 0) }
        }
        counter("hdrec_prefix_cache_lookups_total", "Prompts (one per pass and request) looked up in the prefix cache.") { $0.lookups }
        counter("hdrec_prefix_cache_hits_total", "Prompts that reused cached positions beyond the shared instruction.") { $0.hits }
        counter("hdrec_prefix_cache_positions_total", "Prompt positions looked up.") { $0.positions }
        counter("hdrec_prefix_cache_reused_positions_total", "Prompt positions whose keys and values came from the cache (tokens saved).") { $0.reusedPositions }
        counter("hdrec_prefix_cache_evicted_blocks_total", "Blocks evicted from the prefix cache under its budget.") { $0.evictedBlocks }
        metrics.registry.gauge("hdrec_prefix_cache_bytes", help: "Bytes of keys and values held by prefix caches.") {
            Double(registry.current?.prefixCacheStats?.bytes ?? 0)
        }
    }

    /// The bare route table (no middleware).
    public var router: Router { routerBox.withLock { $0 } }

    /// The responder the server runs: the router wrapped in the request pipeline.
    public var responder: any HTTPResponder { RequestPipeline(router: router, metrics: metrics, logger: logger) }

    /// Marks the service as draining: /readyz answers 503 so balancers stop sending traffic.
    public func beginDrain() { draining.withLock { $0 = true } }
    public var isDraining: Bool { draining.withLock { $0 } }

    private func makeRouter() -> Router {
        var r = Router()
        r.on(.post, "/recommend") { [self] req, _ in await recommend(req) }
        let healthy = HTTPResponse.json(.object([("status", .string("ok"))]))
        r.onInline(.get, "/healthz") { _, _ in healthy }
        r.onInline(.get, "/readyz") { [self] _, _ in readyz() }
        r.on(.get, "/metrics") { [self] _, _ in
            .text(metrics.registry.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        r.on(.get, "/model") { [self] req, _ in model(req) }
        // A normal task, not onInline: a search scans the whole catalog (~0.1-1 ms).
        r.on(.get, "/items") { [self] req, _ in items(req) }
        if config.webUI { WebUI.register(on: &r) }
        r.on(.get, "/adapters") { [self] req, _ in admin(req) { listAdapters() } }
        r.on(.put, "/adapters") { [self] req, _ in await adminAsync(req) { await putAdapters(req) } }
        r.on(.post, "/adapters/rollback") { [self] req, _ in await adminAsync(req) { await rollback() } }
        return r
    }

    // MARK: - Inference

    private func recommend(_ req: HTTPRequest) async -> HTTPResponse {
        if let denied = checkAPIKey(req) { return denied }
        guard let engine = registry.current else { return notReady("no bundle is loaded yet") }
        let started = monotonicSeconds()
        let query: RecommendationRequest
        do {
            query = try RecommendationRequest(body: req.body, catalog: engine.catalog, defaultAlpha: engine.defaultAlpha,
                                              defaultFusion: engine.defaultFusion)
        } catch let problem as Problem {
            return problem.response
        } catch {
            return Problem(status: .badRequest, detail: "\(error)").response
        }
        let output: Recommendation
        do {
            output = try await queue.submit(query, engine: engine)
        } catch ServiceError.queueFull(let limit) {
            return Problem(status: .serviceUnavailable, title: "Overloaded",
                           detail: "the inference queue is full (\(limit) waiting); retry later",
                           headers: HTTPHeaders([("Retry-After", "\(config.server.retryAfterSeconds)")])).response
        } catch is CancellationError {
            // The client is gone; nothing will read this.
            return Problem(status: .serviceUnavailable, detail: "request cancelled").response
        } catch {
            logger.error("inference failed", metadata: ["error": "\(error)"])
            return Problem(status: .internalServerError, detail: "\(error)").response
        }
        let response = RecommendationResponse(output, catalog: engine.catalog, versions: engine.versions, explain: query.explain,
                                              totalMilliseconds: (monotonicSeconds() - started) * 1e3)
        return .json(response.json)
    }

    private func checkAPIKey(_ req: HTTPRequest) -> HTTPResponse? {
        guard let keys = config.apiKeys else { return nil }
        return keys.admits(req, allowAPIKeyHeader: true) ? nil
            : AuthProblems.unauthorized("a valid API key is required (Authorization: Bearer <key> or X-Api-Key)")
    }

    private func notReady(_ detail: String) -> HTTPResponse {
        Problem(status: .serviceUnavailable, title: "Not ready", detail: detail,
                headers: HTTPHeaders([("Retry-After", "\(config.server.retryAfterSeconds)")])).response
    }

    // MARK: - Probes and introspection

    private func readyz() -> HTTPResponse {
        if isDraining { return notReady("shutting down") }
        guard let engine = registry.current else { return notReady("loading the bundle") }
        var members: [(String, JSONValue)] = [("status", .string("ready")), ("adapters", engine.versions.json)]
        if let threads = engine.decoderThreads { members.append(("decoder_threads", .number(Double(threads)))) }
        return .json(.object(members))
    }

    private func model(_ req: HTTPRequest) -> HTTPResponse {
        if let denied = checkAPIKey(req) { return denied }
        guard let engine = registry.current else { return notReady("no bundle is loaded yet") }
        return HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: engine.manifestJSON)
    }

    private func items(_ req: HTTPRequest) -> HTTPResponse {
        if let denied = checkAPIKey(req) { return denied }
        guard let (engine, search) = registry.currentWithSearch else { return notReady("no bundle is loaded yet") }
        return ItemsRoute.respond(req, engine: engine, search: search)
    }

    // MARK: - Admin

    private func adminDenied(_ req: HTTPRequest) -> HTTPResponse? {
        guard let tokens = config.adminTokens else { return AuthProblems.adminDisabled }
        return tokens.admits(req, allowAPIKeyHeader: false) ? nil
            : AuthProblems.unauthorized("a valid admin token is required (Authorization: Bearer <token>)")
    }

    private func admin(_ req: HTTPRequest, _ body: () -> HTTPResponse) -> HTTPResponse {
        adminDenied(req) ?? body()
    }

    private func adminAsync(_ req: HTTPRequest, _ body: () async -> HTTPResponse) async -> HTTPResponse {
        if let denied = adminDenied(req) { return denied }
        return await body()
    }

    private func listAdapters() -> HTTPResponse {
        let history = registry.history
        var members: [(String, JSONValue)] = []
        if let last = history.last {
            members.append(("current", .object([("text", .string(last.versions.text)), ("id", .string(last.versions.id)),
                                                ("path", .string(last.directory))])))
        } else {
            members.append(("current", .null))
        }
        members.append(("history", .array(history.reversed().map {
            .object([("text", .string($0.versions.text)), ("id", .string($0.versions.id)), ("path", .string($0.directory))])
        })))
        members.append(("adapter_root", .string(config.adapterRoot)))
        return .json(.object(members))
    }

    private func putAdapters(_ req: HTTPRequest) async -> HTTPResponse {
        let path: String
        do {
            let json = try JSONValue.parse(req.body)
            guard case .object = json else { throw Problem.invalidBody(field: nil, detail: "the body must be a JSON object {\"path\": \"<dir>\"}") }
            guard let p = json["path"] else { throw Problem.invalidBody(field: "path", detail: "'path' is required") }
            guard case .string(let s) = p, !s.isEmpty else {
                throw Problem.invalidBody(field: "path", detail: "'path' must be a non-empty string, not \(p.typeName)")
            }
            path = s
        } catch let problem as Problem {
            return problem.response
        } catch {
            return Problem.invalidBody(field: nil, detail: "the body is not valid JSON: \(error)").response
        }
        switch AdapterPaths.check(path, root: config.adapterRoot) {
        case .outsideRoot:
            return Problem(status: .forbidden, detail: "'\(path)' is not under the adapter root \(config.adapterRoot)").response
        case .missing(let p):
            return Problem(status: .unprocessableContent, title: "Adapter validation failed",
                           detail: "\(p) does not exist or is not a directory").response
        case .ok(let directory):
            // The directory is under the root; so must be every file its load opens.
            return await swapResponse {
                try await registry.apply(directory: directory, containment: try BundleContainment(root: config.adapterRoot))
            }
        }
    }

    private func rollback() async -> HTTPResponse {
        await swapResponse { try await registry.rollback() }
    }

    private func swapResponse(_ swap: () async throws -> SwapResult) async -> HTTPResponse {
        do {
            let result = try await swap()
            logger.info("adapters swapped", metadata: ["text": "\(result.current.text)", "id": "\(result.current.id)",
                                                       "path": "\(result.directory)"])
            return .json(.object([
                ("adapters", result.current.json),
                ("previous", result.previous?.json ?? .null),
                ("path", .string(result.directory)),
            ]))
        } catch ServiceError.noPreviousAdapters {
            return Problem(status: .conflict, detail: ServiceError.noPreviousAdapters.description).response
        } catch ServiceError.swapInProgress {
            return Problem(status: .conflict, detail: ServiceError.swapInProgress.description,
                           headers: HTTPHeaders([("Retry-After", "1")])).response
        } catch {
            logger.warning("adapter swap rejected", metadata: ["error": "\(error)"])
            return Problem(status: .unprocessableContent, title: "Adapter validation failed",
                           detail: "\(error); the previous adapter pair is still serving").response
        }
    }
}
