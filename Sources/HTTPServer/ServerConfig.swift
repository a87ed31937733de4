// Server configuration: where to listen, how many connections, timeouts, parser limits,
// TLS and compression. Defaults suit a JSON API on a small machine.
import Foundation
import HTTP

public struct ServerConfig: Sendable {
    /// Listen address: an IPv4 or IPv6 literal ("127.0.0.1", "::1", "0.0.0.0").
    public var host: String = "127.0.0.1"
    /// Listen port; 0 picks a free one (see `HTTPServer.port`).
    public var port: Int = 8080
    /// Open connections at most. At the cap the longest-idle keep-alive connection is
    /// closed for a new client; when none is idle, the new one gets an immediate 503 with
    /// `Retry-After`. Idle connections cost no thread, so the default is high; the
    /// open-file limit is raised to fit at start.
    public var maxConnections: Int = 10_000
    /// Open connections per client address at most (beyond: 429); nil for no limit.
    public var maxConnectionsPerAddress: Int?
    /// Event-loop threads that share the listening socket.
    public var eventLoops: Int = min(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Seconds allowed to receive one whole request once its first byte arrived
    /// (bounds slow clients, "slowloris"); exceeded -> 408 and close. Also bounds the
    /// TLS handshake.
    public var readTimeout: Double = 30
    /// Seconds a keep-alive connection may sit idle between requests before it is closed.
    public var idleTimeout: Double = 60
    /// Seconds a response write may make no progress before the connection is dropped.
    public var writeTimeout: Double = 30
    /// `Retry-After` seconds sent with 503s.
    public var retryAfterSeconds: Int = 1
    /// Parser limits (431 / 414 / 413).
    public var limits = HTTPParserLimits()
    /// gzip response bodies of at least this many bytes when the client accepts gzip; nil disables.
    public var gzipMinimumBytes: Int? = 1024
    /// Certificate chain and private key (PEM) to serve HTTPS; nil serves plain HTTP.
    public var tls: TLSFiles?

    public init() {}
}

/// PEM files for TLS.
public struct TLSFiles: Sendable, Equatable {
    public var certificateChain: String
    public var privateKey: String
    public init(certificateChain: String, privateKey: String) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
    }
}
