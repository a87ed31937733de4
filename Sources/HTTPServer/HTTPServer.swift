// The HTTP/1.1 server: a listener thread that accepts, enforces the connection cap
// (immediate 503 + Retry-After beyond it), and hands each connection to its own thread
// (Connection.swift). Graceful shutdown stops accepting, lets in-flight requests finish
// within a deadline, then forces the rest closed. Design: POSIX sockets + Foundation
// threads + Dispatch signal sources, no event-loop framework (issue 6, design card).
import Foundation
import HTTP
import Synchronization

public final class HTTPServer: Sendable {
    public let config: ServerConfig
    let responder: any HTTPResponder
    private let tls: TLSContext?
    let handlerExecutor = HandlerExecutor()
    private let state = Mutex(State())

    private struct State {
        var listenFD: Int32 = -1
        var port = 0
        var started = false
        var draining = false
        var listenerDone = true
        var nextID = 0
        /// Open connections by id -> socket fd (for forced close at the shutdown deadline).
        var connections: [Int: Int32] = [:]
        var rejectedConnections = 0
    }

    /// Creates a server; nothing listens until `start()`. Throws if the TLS files are unusable.
    public init(config: ServerConfig, responder: any HTTPResponder) throws {
        self.config = config
        self.responder = responder
        self.tls = try config.tls.map { try TLSContext(files: $0) }
        // A peer that closes mid-write must give EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Binds and starts accepting on a background thread.
    public func start() throws {
        let (fd, port) = try Socket.listen(host: config.host, port: config.port)
        state.withLock {
            $0.listenFD = fd
            $0.port = port
            $0.started = true
            $0.listenerDone = false
        }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "http-accept"
        thread.start()
    }

    /// The bound port (useful with port 0).
    public var port: Int { state.withLock { $0.port } }
    /// Currently open connections (the `hdrec_open_connections` gauge).
    public var openConnections: Int { state.withLock { $0.connections.count } }
    /// Connections turned away by the connection cap since start.
    public var rejectedConnections: Int { state.withLock { $0.rejectedConnections } }
    /// True once shutdown has begun.
    public var isDraining: Bool { state.withLock { $0.draining } }

    // MARK: - Accepting

    private func acceptLoop(_ listenFD: Int32) {
        while !isDraining {
            // Wake every 100 ms to notice shutdown without closing the fd under accept().
            guard Socket.poll(listenFD, events: Int16(POLLIN), timeoutMs: 100) & Int16(POLLIN) != 0 else { continue }
            guard let (fd, peer) = Socket.accept(listenFD) else { continue }
            let id: Int? = state.withLock { s in
                guard !s.draining, s.connections.count < config.maxConnections else {
                    s.rejectedConnections += 1
                    return nil
                }
                s.nextID += 1
                s.connections[s.nextID] = fd
                return s.nextID
            }
            guard let id else {
                rejectOverCapacity(fd)
                continue
            }
            let thread = Thread { [self] in
                serve(fd: fd, peer: peer)
                state.withLock { _ = $0.connections.removeValue(forKey: id) }
            }
            thread.name = "http-conn-\(id)"
            thread.stackSize = 512 * 1024
            thread.start()
        }
        close(listenFD)
        state.withLock { $0.listenerDone = true }
    }

    /// Over the connection cap: a canned 503 sent without reading the request, then close.
    /// This costs the listener one non-blocking send, so overload is answered fast.
    private func rejectOverCapacity(_ fd: Int32) {
        if tls == nil {
            let problem = Problem(status: .serviceUnavailable, detail: "connection limit of \(config.maxConnections) reached",
                                  headers: HTTPHeaders([("Retry-After", "\(config.retryAfterSeconds)")]))
            let bytes = HTTPSerializer.serialize(problem.response, keepAlive: false)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        // Half-close then close, so the 503 is delivered before the FIN rather than an RST.
        Glibc.shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    private func serve(fd: Int32, peer: String) {
        Socket.setTimeouts(fd, read: config.readTimeout, write: config.writeTimeout)
        let stream: ByteStream
        if let tls {
            guard let s = tls.accept(fd: fd) else { close(fd); return }
            stream = s
        } else {
            stream = PlainStream(fd: fd)
        }
        let connection = Connection(stream: stream, peer: peer, server: self)
        connection.run()
        stream.close()
    }

    // MARK: - Shutdown

    /// Graceful shutdown: stop accepting, let in-flight requests finish and idle
    /// connections close, and after `gracePeriod` seconds force whatever is left closed.
    /// Blocks until done; returns true if everything drained before the deadline.
    @discardableResult
    public func shutdown(gracePeriod: Double) -> Bool {
        state.withLock { $0.draining = true }
        let deadline = monotonicSeconds() + gracePeriod
        while monotonicSeconds() < deadline {
            let done = state.withLock { $0.connections.isEmpty && $0.listenerDone }
            if done { return true }
            usleep(10_000)
        }
        // Past the deadline: wake every blocked connection thread; each closes its own fd.
        state.withLock { s in for fd in s.connections.values { Glibc.shutdown(fd, Int32(SHUT_RDWR)) } }
        let hardDeadline = monotonicSeconds() + 2
        while monotonicSeconds() < hardDeadline, !state.withLock({ $0.connections.isEmpty }) { usleep(10_000) }
        return false
    }
}
