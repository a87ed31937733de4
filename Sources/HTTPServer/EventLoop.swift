// One event-loop thread: an epoll set over the shared listening socket and the
// connections this loop accepted. Idle and slow connections cost a table entry and a
// few hundred bytes, never a thread. Handlers run off the loop (on the server's handler
// executor) unless a route answers inline; their responses come back through `post`,
// which wakes the loop with an eventfd. A sweep every quarter second enforces the read,
// idle and write timeouts. Everything in here except `post` runs on the loop's thread.
import CLinux
import Foundation
import HTTP
import Support
import Synchronization

final class EventLoop: @unchecked Sendable {
    // @unchecked: `connections` and the other plain vars are touched only on the loop's
    // own thread; other threads reach the loop only through `post` (the Mutex-guarded queue).
    private static let wakeToken: UInt64 = 0
    private static let listenerToken: UInt64 = 1
    private static let sweepInterval = 0.25

    let index: Int
    unowned let server: HTTPServer
    private let epfd: Int32
    private let wakeFD: Int32
    // A pthread mutex (NSLock) rather than Synchronization.Mutex: ThreadSanitizer sees
    // pthread locking but not Mutex's futex path, and this queue is the loop's one
    // cross-thread handoff, so it should be checkable (docs/service.md "Concurrency checks").
    private let jobsLock = NSLock()
    private var pendingJobs: [@Sendable () -> Void] = []
    private let finished = DispatchSemaphore(value: 0)

    private var connections: [UInt64: HTTPConnection] = [:]
    private var nextToken: UInt64 = 2
    private var listenFD: Int32 = -1
    private var acceptPausedUntil = 0.0
    private var running = true
    private var lastSweep = 0.0
    /// Read scratch shared by this loop's connections: a read copies out what it got.
    private let readScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(index: Int, server: HTTPServer) throws {
        self.index = index
        self.server = server
        epfd = hdrec_epoll_create()
        guard epfd >= 0 else { throw HTTPServerError.socketFailed(call: "epoll_create1", errno: errno) }
        wakeFD = hdrec_eventfd()
        guard wakeFD >= 0 else {
            let e = errno
            Glibc.close(epfd)
            throw HTTPServerError.socketFailed(call: "eventfd", errno: e)
        }
        guard hdrec_epoll_add(epfd, wakeFD, HDREC_EPOLLIN, EventLoop.wakeToken) == 0 else {
            let e = errno
            Glibc.close(epfd)
            Glibc.close(wakeFD)
            throw HTTPServerError.socketFailed(call: "epoll_ctl(eventfd)", errno: e)
        }
    }

    deinit { readScratch.deallocate() }

    /// Starts the thread, watching `listenFD` for connections. EPOLLEXCLUSIVE wakes one
    /// loop per arriving connection instead of every loop.
    func start(listening fd: Int32) {
        listenFD = fd
        _ = hdrec_epoll_add(epfd, fd, HDREC_EPOLLIN | HDREC_EPOLLEXCLUSIVE, EventLoop.listenerToken)
        let thread = Thread { [self] in run() }
        thread.name = "http-loop-\(index)"
        thread.start()
    }

    /// Runs `job` on the loop's thread soon. Safe from any thread.
    func post(_ job: @escaping @Sendable () -> Void) {
        jobsLock.withLock { pendingJobs.append(job) }
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Ends the loop: closes every connection (cancelling in-flight handlers) and the
    /// thread. Blocks until it has.
    func stop() {
        post { [self] in running = false }
        finished.wait()
    }

    // MARK: - The loop

    private func run() {
        let capacity = 256
        var tokens = [UInt64](repeating: 0, count: capacity)
        var events = [UInt32](repeating: 0, count: capacity)
        while running {
            let n = hdrec_epoll_wait(epfd, &tokens, &events, Int32(capacity), Int32(EventLoop.sweepInterval * 1000))
            for i in 0 ..< Int(max(n, 0)) {
                switch tokens[i] {
                case EventLoop.wakeToken: drainWakeups()
                case EventLoop.listenerToken: acceptReady()
                default: connections[tokens[i]]?.handle(events: events[i])
                }
            }
            runJobs()
            let now = monotonicSeconds()
            if now - lastSweep >= EventLoop.sweepInterval {
                lastSweep = now
                sweep(now: now)
            }
        }
        for connection in Array(connections.values) { connection.abort() }
        // Connections handed over by a sibling loop meanwhile are refused (`admit` checks `running`).
        runJobs()
        if listenFD >= 0, acceptPausedUntil == 0 { _ = hdrec_epoll_remove(epfd, listenFD) }
        Glibc.close(wakeFD)
        Glibc.close(epfd)
        finished.signal()
    }

    private func drainWakeups() {
        var count: UInt64 = 0
        _ = Glibc.read(wakeFD, &count, 8)
    }

    private func runJobs() {
        let pending = jobsLock.withLock { () -> [@Sendable () -> Void] in
            let taken = pendingJobs
            pendingJobs = []
            return taken
        }
        for job in pending { job() }
    }

    // MARK: - Accepting

    /// Stops watching the listener (the server closes it once every loop has let go).
    func releaseListener(_ done: DispatchSemaphore) {
        post { [self] in
            if listenFD >= 0, acceptPausedUntil == 0 { _ = hdrec_epoll_remove(epfd, listenFD) }
            listenFD = -1
            done.signal()
        }
    }

    private func acceptReady() {
        guard listenFD >= 0, monotonicSeconds() >= acceptPausedUntil else { return }
        for _ in 0 ..< 64 {
            switch Socket.acceptNonBlocking(listenFD) {
            case .none:
                return
            case .outOfDescriptors:
                // EMFILE/ENFILE: free one idle socket if we can, else back off so the
                // level-triggered listener does not spin.
                if !evictOldestIdle() {
                    // (EPOLLEXCLUSIVE registrations cannot be modified, only removed and re-added.)
                    acceptPausedUntil = monotonicSeconds() + 0.1
                    _ = hdrec_epoll_remove(epfd, listenFD)
                }
                return
            case let .accepted(fd, peer, address):
                admit(fd: fd, peer: peer, address: address)
            }
        }
    }

    /// `loopsTried` counts the loops that have looked for an idle connection to close.
    private func admit(fd: Int32, peer: String, address: String, loopsTried: Int = 1) {
        guard running else {
            server.reject(fd: fd, verdict: .overCapacity)
            return
        }
        var verdict = server.admission.admit(address: address)
        if verdict == .overCapacity, evictOldestIdle() {
            verdict = server.admission.admit(address: address)
        }
        // The longest-idle connection may belong to another loop, and only that loop's
        // thread may close it: hand the new client over, and let that loop try.
        if verdict == .overCapacity, let next = server.loop(after: index), loopsTried < server.loopCount {
            next.post { next.admit(fd: fd, peer: peer, address: address, loopsTried: loopsTried + 1) }
            return
        }
        guard verdict == .admitted else {
            server.reject(fd: fd, verdict: verdict)
            return
        }
        let transport: any Transport
        if let tls = server.tls {
            guard let t = tls.transport(fd: fd) else {
                Glibc.close(fd)
                server.admission.release(address: address)
                return
            }
            transport = t
        } else {
            transport = PlainTransport(fd: fd)
        }
        let token = nextToken
        nextToken += 1
        let connection = HTTPConnection(token: token, transport: transport, peer: peer, address: address, loop: self)
        guard hdrec_epoll_add(epfd, fd, HDREC_EPOLLIN, token) == 0 else {
            transport.close()
            server.admission.release(address: address)
            return
        }
        connections[token] = connection
        connection.start()
    }

    /// At the connection cap a new client beats the longest-idle keep-alive connection.
    /// Closes that one and returns true, or false when none of this loop's is idle
    /// (`admit` then asks the other loops).
    private func evictOldestIdle() -> Bool {
        var oldest: HTTPConnection?
        for c in connections.values where c.isIdle {
            if oldest == nil || c.lastActivity < oldest!.lastActivity { oldest = c }
        }
        guard let oldest else { return false }
        oldest.close()
        server.admission.noteEviction()
        return true
    }

    // MARK: - Connection bookkeeping (called by HTTPConnection on this thread)

    func setInterest(_ fd: Int32, _ events: UInt32, token: UInt64) {
        _ = hdrec_epoll_modify(epfd, fd, events, token)
    }

    func forget(_ connection: HTTPConnection) {
        _ = hdrec_epoll_remove(epfd, connection.transport.fd)
        connections.removeValue(forKey: connection.token)
        server.admission.release(address: connection.address)
    }

    /// A handler's response, delivered on the loop; dropped if the connection is gone.
    func deliver(_ response: HTTPResponse, token: UInt64) {
        connections[token]?.complete(with: response)
    }

    var scratch: UnsafeMutableRawBufferPointer { readScratch }

    // MARK: - Timeouts

    private func sweep(now: Double) {
        if listenFD >= 0, acceptPausedUntil > 0, now >= acceptPausedUntil {
            acceptPausedUntil = 0
            _ = hdrec_epoll_add(epfd, listenFD, HDREC_EPOLLIN | HDREC_EPOLLEXCLUSIVE, EventLoop.listenerToken)
        }
        let closing = server.isClosingIdle
        var expired: [HTTPConnection] = []
        for c in connections.values where c.hasExpired(now: now, closingIdle: closing) { expired.append(c) }
        for c in expired { c.expire(now: now) }
    }

    /// Closes idle connections now (shutdown), rather than at the next sweep.
    func closeIdleConnections() {
        post { [self] in
            for c in Array(connections.values) where c.isIdle { c.close() }
        }
    }
}
