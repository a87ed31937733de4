// One client connection as a state machine driven by its event loop: TLS handshake,
// reads into the incremental parser, one request at a time handed to the responder,
// responses written in request order (pipelining, RFC 9112 §9.3.2), partial writes
// resumed when the socket drains.
//
// Hang-ups: a FIN from the client only ends its sending side (RFC 9112 §9.6). Every
// complete request received before it is still answered; then the connection closes.
// Queued work is cancelled only when the connection is really gone: a reset or socket
// error (EPOLLERR/EPOLLHUP), a failed read or write, or the write timeout.
//
// While a request is in flight the socket is not read (its interest set is empty):
// pipelined bytes wait in the kernel, so a client cannot make the server buffer without
// bound, and EPOLLERR/EPOLLHUP still report a reset.
import CLinux
import Foundation
import HTTP
import Support

final class HTTPConnection {
    /// Responses queued beyond this many unsent bytes pause the parsing of further
    /// pipelined requests until the client reads.
    private static let outboxHighWater = 256 * 1024
    /// Bytes read per readiness event before other connections get their turn.
    private static let readBudget = 256 * 1024

    let token: UInt64
    let transport: any Transport
    let peer: String
    let address: String
    private unowned let loop: EventLoop
    private var parser: HTTPParser

    private var handshaking = true
    private var outbox: [UInt8] = []
    private var outboxSent = 0
    private var inFlight: Task<Void, Never>?
    private var inFlightRequest: HTTPRequest?
    private var peerFinished = false
    private var closeWhenFlushed = false
    private var closed = false
    private var continueSent = false
    private var interest: UInt32 = HDREC_EPOLLIN
    private(set) var lastActivity: Double
    private var requestStarted: Double?
    private var writeBlockedSince: Double?

    init(token: UInt64, transport: any Transport, peer: String, address: String, loop: EventLoop) {
        self.token = token
        self.transport = transport
        self.peer = peer
        self.address = address
        self.loop = loop
        self.parser = HTTPParser(limits: loop.server.config.limits)
        self.lastActivity = monotonicSeconds()
    }

    private var server: HTTPServer { loop.server }

    /// A keep-alive connection between requests: nothing half-received, running or unsent.
    var isIdle: Bool {
        !closed && !handshaking && inFlight == nil && !parser.isMidRequest && outboxSent == outbox.count && !transport.hasBufferedBytes
    }

    func start() {
        // The client usually speaks first; try at once rather than waiting a round trip.
        handle(events: HDREC_EPOLLIN)
    }

    // MARK: - Events

    func handle(events: UInt32) {
        guard !closed else { return }
        if events & (HDREC_EPOLLERR | HDREC_EPOLLHUP) != 0 {
            abort()
            return
        }
        if handshaking {
            switch transport.handshake() {
            case .done:
                handshaking = false
                lastActivity = monotonicSeconds()
            case .wouldBlock(let wantsWrite):
                setInterest(wantsWrite ? HDREC_EPOLLOUT : HDREC_EPOLLIN)
                return
            case .failed:
                close()
                return
            }
        }
        if events & HDREC_EPOLLOUT != 0 || outboxSent < outbox.count {
            flush()
            if closed { return }
        }
        if wantsRead { readAvailable() }
        if closed { return }
        advance()
    }

    /// Reading is paused while a request runs, after the client's FIN, when closing, and
    /// while too many response bytes wait to be sent.
    private var wantsRead: Bool {
        !handshaking && inFlight == nil && !peerFinished && !closeWhenFlushed
            && outbox.count - outboxSent < HTTPConnection.outboxHighWater
    }

    private func readAvailable() {
        let scratch = loop.scratch
        var budget = HTTPConnection.readBudget
        while budget > 0 {
            switch transport.read(into: scratch) {
            case .moved(let n):
                parser.append(UnsafeRawBufferPointer(rebasing: scratch[0 ..< n]))
                lastActivity = monotonicSeconds()
                budget -= n
            case .wouldBlock:
                return
            case .endOfStream:
                peerFinished = true
                return
            case .failed:
                abort()
                return
            }
        }
    }

    /// Answers every complete request that is buffered, one at a time, then decides what
    /// to wait for next.
    private func advance() {
        while !closed, inFlight == nil, !closeWhenFlushed, outbox.count - outboxSent < HTTPConnection.outboxHighWater {
            if transport.hasBufferedBytes, !peerFinished { readAvailable() }
            if closed { return }
            let request: HTTPRequest?
            do {
                request = try parser.nextRequest()
            } catch let error as HTTPError {
                enqueue(HTTPSerializer.serialize(Problem.from(error).response, keepAlive: false))
                closeWhenFlushed = true
                break
            } catch {
                closeWhenFlushed = true
                break
            }
            guard let request else {
                noteWaiting()
                // Nothing more will arrive: what is buffered is all there is.
                if peerFinished { closeWhenFlushed = true }
                break
            }
            requestStarted = nil
            continueSent = false
            dispatch(request)
        }
        flush()
        guard !closed else { return }
        if closeWhenFlushed, outboxSent == outbox.count {
            close()
            return
        }
        setInterest((wantsRead ? HDREC_EPOLLIN : 0) | (outboxSent < outbox.count ? HDREC_EPOLLOUT : 0))
    }

    /// A request has started arriving: note when (for the read timeout), and answer
    /// `Expect: 100-continue` once.
    private func noteWaiting() {
        guard parser.isMidRequest else {
            requestStarted = nil
            return
        }
        if requestStarted == nil { requestStarted = monotonicSeconds() }
        if let head = parser.pendingHead, head.expectsContinue, !continueSent {
            continueSent = true
            enqueue(HTTPSerializer.continueResponse)
        }
    }

    // MARK: - Handlers

    private func dispatch(_ request: HTTPRequest) {
        let context = RequestContext(remoteAddress: peer)
        let responder = server.responder
        if let response = responder.respondInline(to: request, context: context) {
            respond(response, to: request)
            return
        }
        inFlightRequest = request
        let loop = self.loop
        let token = self.token
        inFlight = Task(executorPreference: server.handlerExecutor) {
            let response = await responder.respond(to: request, context: context)
            loop.post { loop.deliver(response, token: token) }
        }
    }

    /// The running handler's response (on the loop's thread).
    func complete(with response: HTTPResponse) {
        guard !closed, let request = inFlightRequest else { return }
        inFlight = nil
        inFlightRequest = nil
        lastActivity = monotonicSeconds()
        respond(response, to: request)
        advance()
    }

    private func respond(_ response: HTTPResponse, to request: HTTPRequest) {
        var response = response
        let keepAlive = request.keepAlive && !server.isDraining && !response.headers.tokens("Connection").contains("close")
        if !keepAlive { closeWhenFlushed = true }
        compressIfAccepted(&response, request: request)
        enqueue(HTTPSerializer.serialize(response, keepAlive: keepAlive, headRequest: request.method == .head))
    }

    private func compressIfAccepted(_ response: inout HTTPResponse, request: HTTPRequest) {
        guard let minimum = server.config.gzipMinimumBytes, response.body.count >= minimum,
              response.headers["Content-Encoding"] == nil,
              Gzip.accepted(request.headers.values("Accept-Encoding").flatMap { $0.split(separator: ",").map { $0.trimmingSpaces.lowercased() } }),
              let zipped = try? Gzip.compress(response.body), zipped.count < response.body.count
        else { return }
        response.body = zipped
        response.headers.set("Content-Encoding", "gzip")
        response.headers.add("Vary", "Accept-Encoding")
    }

    // MARK: - Writing

    private func enqueue(_ bytes: [UInt8]) {
        if outboxSent == outbox.count {
            outbox = bytes
            outboxSent = 0
        } else {
            outbox += bytes
        }
    }

    private func flush() {
        while outboxSent < outbox.count {
            let result = outbox.withUnsafeBytes { all in
                transport.write(UnsafeRawBufferPointer(rebasing: all[outboxSent...]))
            }
            switch result {
            case .moved(let n):
                outboxSent += n
                writeBlockedSince = nil
            case .wouldBlock:
                if writeBlockedSince == nil { writeBlockedSince = monotonicSeconds() }
                return
            case .endOfStream, .failed:
                abort()
                return
            }
        }
        // Sent: drop the buffer rather than keep its capacity (10,000 idle sockets).
        outbox = []
        outboxSent = 0
        writeBlockedSince = nil
    }

    private func setInterest(_ events: UInt32) {
        guard !closed, events != interest else { return }
        interest = events
        loop.setInterest(transport.fd, events, token: token)
    }

    // MARK: - Timeouts and closing

    func hasExpired(now: Double, closingIdle: Bool) -> Bool {
        let config = server.config
        if let since = writeBlockedSince, now - since > config.writeTimeout { return true }
        if handshaking { return now - lastActivity > config.readTimeout }
        if inFlight != nil { return false }
        if let started = requestStarted, now - started > config.readTimeout { return true }
        return isIdle && (closingIdle || now - lastActivity > config.idleTimeout)
    }

    /// Acts on an expiry found by the sweep.
    func expire(now: Double) {
        let config = server.config
        if let since = writeBlockedSince, now - since > config.writeTimeout {
            abort()
        } else if !handshaking, inFlight == nil, parser.isMidRequest, let started = requestStarted, now - started > config.readTimeout {
            let problem = Problem(status: .requestTimeout, detail: "request not received within \(config.readTimeout) s")
            enqueue(HTTPSerializer.serialize(problem.response, keepAlive: false))
            closeWhenFlushed = true
            flush()
            if !closed { close() }
        } else {
            close()
        }
    }

    /// The connection is gone (or must go now): cancel what it started, and close.
    func abort() {
        inFlight?.cancel()
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        inFlight?.cancel()
        inFlight = nil
        loop.forget(self)
        transport.close()
    }
}
