// The HTTP/1.1 server: event loops (EventLoop.swift, epoll) that share one listening
// socket, connections as non-blocking state machines (HTTPConnection.swift), handlers on
// a Dispatch-backed executor. No thread per connection: 10,000 idle keep-alive sockets
// cost memory, not threads. Design: POSIX sockets, epoll through a small C shim,
// Foundation threads and Dispatch; no event-loop framework (design card).
//
// Shutdown has three steps, so that load balancers see the drain: `beginDrain()` (the
// service's /readyz turns 503, responses carry `Connection: close`, new connections are
// still accepted), `shutdown(gracePeriod:)` (stop accepting, close idle connections,
// let in-flight requests finish), and at the end of the grace period the rest are closed.
import Foundation
import HTTP
import Support
import Synchronization

public final class HTTPServer: Sendable {
    public let config: ServerConfig
    let responder: any HTTPResponder
    let tls: TLSContext?
    let handlerExecutor = HandlerExecutor()
    let admission: ConnectionAdmission
    private let state = Mutex(State())
    private let draining = Atomic<Bool>(false)
    private let closingIdle = Atomic<Bool>(false)

    private struct State {
        var listenFD: Int32 = -1
        var port = 0
        var loops: [EventLoop] = []
        var fileLimit = 0
    }

    /// Creates a server; nothing listens until `start()`. Throws if the TLS files are unusable.
    public init(config: ServerConfig, responder: any HTTPResponder) throws {
        self.config = config
        self.responder = responder
        self.tls = try config.tls.map { try TLSContext(files: $0) }
        admission = ConnectionAdmission(maxConnections: config.maxConnections, maxPerAddress: config.maxConnectionsPerAddress)
        // A peer that closes mid-write must give EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Binds, raises the open-file limit to fit `maxConnections`, and starts the loops.
    public func start() throws {
        let fileLimit = Socket.raiseOpenFileLimit()
        let (fd, port) = try Socket.listen(host: config.host, port: config.port)
        var loops: [EventLoop] = []
        do {
            for i in 0 ..< max(1, config.eventLoops) { loops.append(try EventLoop(index: i, server: self)) }
        } catch {
            close(fd)
            throw error
        }
        state.withLock {
            $0.listenFD = fd
            $0.port = port
            $0.loops = loops
            $0.fileLimit = fileLimit
        }
        for loop in loops { loop.start(listening: fd) }
    }

    /// The number of event loops (0 before `start()` and after shutdown).
    var loopCount: Int { state.withLock { $0.loops.count } }

    /// The loop after the one with `index`, round the ring; nil when there is no other.
    func loop(after index: Int) -> EventLoop? {
        state.withLock { s in s.loops.count > 1 ? s.loops[(index + 1) % s.loops.count] : nil }
    }

    /// The bound port (useful with port 0).
    public var port: Int { state.withLock { $0.port } }
    /// The process's open-file limit after `start()` raised it (RLIMIT_NOFILE, soft).
    public var openFileLimit: Int { state.withLock { $0.fileLimit } }
    /// Currently open connections (the `hdrec_open_connections` gauge).
    public var openConnections: Int { admission.open }
    /// Connections turned away (connection cap or per-address cap) since start.
    public var rejectedConnections: Int { admission.rejected }
    /// Idle keep-alive connections closed to make room for new clients since start.
    public var evictedConnections: Int { admission.evicted }
    /// True once draining has begun (`beginDrain` or `shutdown`).
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    var isClosingIdle: Bool { closingIdle.load(ordering: .relaxed) }

    // MARK: - Refusing

    /// A canned 503 (or 429 for the per-address cap) sent without reading the request,
    /// then close: overload is answered at accept, cheaply.
    func reject(fd: Int32, verdict: ConnectionAdmission.Verdict) {
        admission.noteRejection()
        if tls == nil {
            let problem = verdict == .overAddressLimit
                ? Problem(status: .tooManyRequests, detail: "connection limit of \(config.maxConnectionsPerAddress ?? 0) per client address reached",
                          headers: HTTPHeaders([("Retry-After", "\(config.retryAfterSeconds)")]))
                : Problem(status: .serviceUnavailable, detail: "connection limit of \(config.maxConnections) reached",
                          headers: HTTPHeaders([("Retry-After", "\(config.retryAfterSeconds)")]))
            let bytes = HTTPSerializer.serialize(problem.response, keepAlive: false)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        // Half-close then close, so the answer is delivered before the FIN rather than an RST.
        Glibc.shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    // MARK: - Shutdown

    /// Starts draining without refusing anyone: responses carry `Connection: close`, so
    /// clients move to other replicas while the balancer notices /readyz.
    public func beginDrain() {
        draining.store(true, ordering: .relaxed)
    }

    /// Stops accepting (the port refuses from now on), closes idle connections, lets
    /// in-flight requests finish, and after `gracePeriod` seconds closes whatever is left
    /// (cancelling its handlers). Blocks until done; true if everything drained in time.
    @discardableResult
    public func shutdown(gracePeriod: Double) -> Bool {
        beginDrain()
        let (loops, listenFD) = state.withLock { s -> ([EventLoop], Int32) in
            defer { s.listenFD = -1; s.loops = [] }
            return (s.loops, s.listenFD)
        }
        guard !loops.isEmpty else { return true }
        let released = DispatchSemaphore(value: 0)
        for loop in loops { loop.releaseListener(released) }
        for _ in loops { released.wait() }
        close(listenFD)

        closingIdle.store(true, ordering: .relaxed)
        for loop in loops { loop.closeIdleConnections() }
        let deadline = monotonicSeconds() + gracePeriod
        var drained = admission.open == 0
        while !drained, monotonicSeconds() < deadline {
            usleep(10_000)
            drained = admission.open == 0
        }
        for loop in loops { loop.stop() }
        return drained
    }
}
