// hdrec-server: the long-running recommendation service (docs/service.md).
// Flags become a ServiceConfig; bundles are loaded by HDRecEngineLoader (the real HDRec
// model: two LoRA passes over one base, fusion, top-k; docs/service.md "Plugging in the engine"),
// whose thread pool `--threads` sizes (GET /readyz reports it as decoder_threads).
import ArgumentParser
import Foundation
import HTTPServer
import Logging
import Quant
import Service

@main
struct HDRecServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdrec-server",
        abstract: "Serve HDRec recommendations over HTTP/1.1 (POST /recommend, /healthz, /readyz, /metrics, /model, /items, /adapters; a page at /).")

    @Option(help: "The bundle directory written by `hdrec export`.") var artifacts: String
    @Option(help: "The base GGUF, for bundles that reference their base instead of carrying it.") var base: String?
    @Option(help: "Listen address (IPv4 or IPv6 literal).") var host = "127.0.0.1"
    @Option(help: "Listen port (0 picks a free one).") var port = 8080
    @Option(help: "Threads for the model's matrix products, the inference thread included (default: HDREC_THREADS, else all cores).") var threads: Int?
    @Option(help: "File with the admin bearer token(s); without it admin routes answer 403.") var adminTokenFile: String?
    @Option(help: "File with API keys (one per line) required on /recommend and /model.") var apiKeyFile: String?
    @Option(help: "PUT /adapters paths must lie under this directory (default: the parent of --artifacts).") var adapterRoot: String?
    @Option(help: "Poll this directory (e.g. a `current` symlink) and apply each new version.") var watch: String?
    @Option(help: "Seconds between --watch polls.") var watchIntervalS = 2.0
    @Option(help: "PEM certificate chain for HTTPS.") var tlsCert: String?
    @Option(help: "PEM private key for HTTPS.") var tlsKey: String?
    @Option(help: "Open connections at most; at the cap the longest-idle one is closed for a new client, else 503 + Retry-After.") var maxConnections = 10_000
    @Option(help: "Open connections per client address at most (429 beyond); default: no limit.") var maxConnectionsPerAddress: Int?
    @Option(help: "Queries waiting for inference beyond this get 503 + Retry-After.") var maxQueue = 64
    @Option(help: "Most queries per batched forward.") var maxBatch = 8
    @Option(help: "MiB of prompt keys and values kept for returning users (0: only the shared instruction).") var prefixCacheMb = 256
    @Option(help: "Milliseconds a batch waits for more queries.") var batchWindowMs = 2.0
    @Option(help: "Seconds to receive a whole request once it started (408 after).") var readTimeoutS = 30.0
    @Option(help: "Seconds an idle keep-alive connection is kept.") var idleTimeoutS = 60.0
    @Option(help: "Largest request body in bytes (413 beyond).") var maxBodyBytes = 1 << 20
    @Option(help: "Seconds after SIGTERM/SIGINT during which /readyz answers 503 and new connections are still served.") var drainDelayS = 0.0
    @Option(help: "Seconds in-flight requests get to finish once the listener has closed; then the rest are closed.") var shutdownGraceS = 30.0
    @Flag(help: "Quantize the decoder's prefill activations to 8 bits (integer kernels; docs/kernels.md \"Integer prefill\").") var int8Activations = false
    @Flag(name: .customLong("no-ui"), help: "Do not serve the page for people at / (and its assets): they answer 404.") var noUI = false

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if port < 0 || port > 65535 { throw ValidationError("--port must be in 0...65535") }
        if let perAddress = maxConnectionsPerAddress, perAddress < 1 { throw ValidationError("--max-connections-per-address must be >= 1") }
        if drainDelayS < 0 || shutdownGraceS < 0 { throw ValidationError("--drain-delay-s and --shutdown-grace-s must be >= 0") }
        if maxConnections < 1 || maxQueue < 1 || maxBatch < 1 { throw ValidationError("--max-connections, --max-queue and --max-batch must be >= 1") }
        if prefixCacheMb < 0 || prefixCacheMb > 1 << 20 { throw ValidationError("--prefix-cache-mb must be in 0...1048576") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1...256") }
    }

    func run() throws {
        let mallocPolicy = ProcessMemory.tuneForServer()  // before the first large allocation
        LoggingSystem.bootstrap { JSONLineLogHandler(label: $0) }
        let logger = Logger(label: "hdrec-server")
        logger.info("malloc policy", metadata: ["policy": "\(mallocPolicy)"])
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: artifacts, isDirectory: &isDir), isDir.boolValue else {
            throw fail("--artifacts \(artifacts) is not a directory")
        }
        var config = ServiceConfig(artifacts: artifacts, adapterRoot: adapterRoot)
        config.server.host = host
        config.server.port = port
        config.server.maxConnections = maxConnections
        config.server.maxConnectionsPerAddress = maxConnectionsPerAddress
        config.server.readTimeout = readTimeoutS
        config.server.idleTimeout = idleTimeoutS
        config.server.limits.maxBodyBytes = maxBodyBytes
        if let tlsCert, let tlsKey { config.server.tls = TLSFiles(certificateChain: tlsCert, privateKey: tlsKey) }
        config.watchDirectory = watch
        config.watchInterval = watchIntervalS
        config.maxQueue = maxQueue
        config.maxBatch = maxBatch
        config.batchWindow = batchWindowMs / 1000
        config.drainDelay = drainDelayS
        config.shutdownGrace = shutdownGraceS
        config.webUI = !noUI
        do {
            config.adminTokens = try adminTokenFile.map { try KeySet.load(path: $0) }
            config.apiKeys = try apiKeyFile.map { try KeySet.load(path: $0) }
        } catch {
            throw fail("\(error)")
        }

        let loader = HDRecEngineLoader(basePath: base, threads: threads, prefixCacheBytes: prefixCacheMb << 20,
                                       activations: int8Activations ? .int8 : .f32)
        let app: ServiceApp
        do {
            app = try ServiceApp(config: config, loader: loader, logger: logger)
            try app.start()
        } catch {
            throw fail("\(error)")
        }
        let status = app.runUntilTerminated()
        throw ExitCode(status)
    }

    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("hdrec-server: \(message)\n".utf8))
        return ExitCode(1)
    }
}
