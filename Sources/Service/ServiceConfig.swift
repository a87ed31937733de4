// Everything hdrec-server's flags configure, in one value (docs/service.md lists the flags).
import Foundation
import HTTPServer

public struct ServiceConfig: Sendable {
    /// The bundle directory loaded at startup (`--artifacts`).
    public var artifacts: String
    /// Transport settings (host, port, connection cap, timeouts, TLS, limits).
    public var server = ServerConfig()
    /// Admin bearer tokens (`--admin-token-file`); nil disables admin routes (403).
    public var adminTokens: KeySet?
    /// API keys for the inference routes (`--api-key-file`); nil leaves them open.
    public var apiKeys: KeySet?
    /// `PUT /adapters` paths must lie under this directory (`--adapter-root`; default:
    /// the parent of `artifacts`).
    public var adapterRoot: String
    /// A directory (often a symlink operators flip) polled for new versions (`--watch`).
    public var watchDirectory: String?
    public var watchInterval: Double = 2
    /// Queries allowed to wait for inference; beyond it /recommend answers 503 (`--max-queue`).
    public var maxQueue = 64
    /// Most queries per batched forward (`--max-batch`).
    public var maxBatch = 8
    /// How long the first query of a batch waits for company, in seconds (`--batch-window-ms`).
    public var batchWindow = 0.002
    /// Seconds between SIGTERM and closing the listener (`--drain-delay-s`): /readyz answers
    /// 503 and new connections are still served, so balancers notice before the port goes away.
    public var drainDelay = 0.0
    /// Seconds in-flight requests get to finish once the listener is closed (`--shutdown-grace-s`).
    public var shutdownGrace = 30.0
    /// Serve the page for people at GET / and its assets (`--no-ui` turns it off: 404).
    public var webUI = true

    public init(artifacts: String, adapterRoot: String? = nil) {
        self.artifacts = artifacts
        self.adapterRoot = adapterRoot ?? (artifacts as NSString).deletingLastPathComponent
        if self.adapterRoot.isEmpty { self.adapterRoot = "." }
    }
}
