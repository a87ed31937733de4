// The whole service process: transport + routes + engine registry + batching queue +
// watcher + signals. Startup binds first (so /healthz answers and /readyz says
// "loading" while the bundle loads), then loads and warms the bundle; a failed initial
// load stops the server and throws. SIGTERM/SIGINT drain gracefully (readyz 503 and
// still accepting for `drainDelay`, then the listener closes and in-flight requests get
// `shutdownGrace`); SIGHUP re-reads the directory last applied (or --artifacts).
import Foundation
import HTTP
import HTTPServer
import Logging
import Synchronization

public final class ServiceApp: Sendable {
    public let service: RecommendationService
    public let server: HTTPServer
    private let watcher = Mutex<AdapterWatcher?>(nil)
    private let terminated = DispatchSemaphore(value: 0)

    public init(config: ServiceConfig, loader: any EngineLoader, logger: Logger) throws {
        let connections = Mutex<HTTPServer?>(nil)
        service = RecommendationService(config: config, loader: loader, logger: logger,
                                        openConnections: { connections.withLock { $0?.openConnections ?? 0 } })
        server = try HTTPServer(config: config.server, responder: service.responder)
        connections.withLock { $0 = server }
    }

    /// Binds, loads and warms the bundle, starts `--watch`. Throws if the bundle cannot load.
    public func start() throws {
        let config = service.config
        try server.start()
        service.logger.info("listening", metadata: ["host": "\(config.server.host)", "port": "\(server.port)",
                                                    "tls": "\(config.server.tls != nil)",
                                                    "max_connections": "\(config.server.maxConnections)",
                                                    "open_file_limit": "\(server.openFileLimit)"])
        if server.openFileLimit < config.server.maxConnections + 64 {
            service.logger.warning("open-file limit below the connection cap: connections beyond it wait in the backlog",
                                   metadata: ["open_file_limit": "\(server.openFileLimit)", "max_connections": "\(config.server.maxConnections)"])
        }
        do {
            try service.registry.loadInitial(directory: config.artifacts)
        } catch {
            server.shutdown(gracePeriod: 0)
            service.queue.stop()
            throw error
        }
        if let current = service.registry.current {
            service.logger.info("ready", metadata: ["text": "\(current.versions.text)", "id": "\(current.versions.id)",
                                                    "items": "\(current.catalog.count)",
                                                    "decoder_threads": "\(current.decoderThreads.map(String.init) ?? "n/a")"])
        }
        if let dir = config.watchDirectory {
            let w = AdapterWatcher(directory: dir, interval: config.watchInterval, registry: service.registry,
                                   logger: service.logger, servingDirectory: config.artifacts)
            watcher.withLock { $0 = w }
            w.start()
        }
    }

    /// SIGHUP: re-apply the directory last applied (or --artifacts) through validation.
    public func reload() async {
        let dir = service.registry.currentDirectory ?? service.config.artifacts
        do {
            let r = try await service.registry.apply(directory: dir)
            service.logger.info("reloaded", metadata: ["path": "\(dir)", "text": "\(r.current.text)", "id": "\(r.current.id)"])
        } catch {
            service.logger.warning("reload rejected", metadata: ["path": "\(dir)", "error": "\(error)"])
        }
    }

    /// Graceful shutdown: /readyz flips to 503 and responses close their connections while
    /// the listener keeps accepting for `drainDelay` seconds; then the listener closes, idle
    /// connections close, in-flight requests get `shutdownGrace` seconds, and the queue
    /// stops. Returns true if everything drained.
    @discardableResult
    public func shutdown() -> Bool {
        service.beginDrain()
        server.beginDrain()
        watcher.withLock { $0?.stop() }
        if service.config.drainDelay > 0 {
            service.logger.info("draining: readyz answers 503, still accepting", metadata: ["drain_delay_s": "\(service.config.drainDelay)"])
            Thread.sleep(forTimeInterval: service.config.drainDelay)
        }
        let drained = server.shutdown(gracePeriod: service.config.shutdownGrace)
        service.queue.stop()
        service.logger.info("stopped", metadata: ["drained": "\(drained)"])
        StdoutLines.shared.flush()
        return drained
    }

    /// Runs until SIGTERM or SIGINT, handling SIGHUP meanwhile; then shuts down. Returns
    /// the process exit status (0 after a graceful shutdown).
    public func runUntilTerminated() -> Int32 {
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT, SIGHUP]) { [self] sig in
            if sig == SIGHUP {
                Task { await reload() }
            } else {
                service.logger.info("signal received, draining", metadata: ["signal": "\(sig)"])
                terminated.signal()
            }
        }
        terminated.wait()
        signals.cancel()
        shutdown()
        return 0
    }

    /// Ends `runUntilTerminated` as SIGTERM would (for embedding and tests).
    public func terminate() { terminated.signal() }
}
