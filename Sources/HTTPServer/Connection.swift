// One client connection: the keep-alive loop. Reads into the incremental parser, runs
// each request's handler as a Swift task, and writes responses in request order, so
// pipelined requests are answered in sequence (RFC 9112 §9.3.2). While a handler runs,
// the socket is watched for hang-up; a disconnect cancels the task (and with it the
// request's queued work). Timeouts: `readTimeout` for a request that has started
// arriving (-> 408), `idleTimeout` between requests (-> silent close).
import Foundation
import HTTP
import Synchronization

final class Connection {
    private let stream: ByteStream
    private let peer: String
    private unowned let server: HTTPServer
    private var parser: HTTPParser
    private var continueSent = false
    private var requestStarted: Double?

    init(stream: ByteStream, peer: String, server: HTTPServer) {
        self.stream = stream
        self.peer = peer
        self.server = server
        self.parser = HTTPParser(limits: server.config.limits)
    }

    func run() {
        var idleSince = monotonicSeconds()
        while true {
            // 1. Answer every complete request already buffered (pipelining).
            let request: HTTPRequest?
            do {
                request = try parser.nextRequest()
            } catch let error as HTTPError {
                _ = stream.write(HTTPSerializer.serialize(Problem.from(error).response, keepAlive: false))
                return
            } catch {
                return
            }
            if let request {
                requestStarted = nil
                continueSent = false
                guard handle(request) else { return }
                idleSince = monotonicSeconds()
                continue
            }
            // 2. Need more bytes.
            let now = monotonicSeconds()
            if parser.isMidRequest {
                if requestStarted == nil { requestStarted = now }
                if let head = parser.pendingHead, head.expectsContinue, !continueSent {
                    continueSent = true
                    guard stream.write(HTTPSerializer.continueResponse) else { return }
                }
                if now - requestStarted! > server.config.readTimeout {
                    let p = Problem(status: .requestTimeout, detail: "request not received within \(server.config.readTimeout) s")
                    _ = stream.write(HTTPSerializer.serialize(p.response, keepAlive: false))
                    return
                }
            } else {
                if server.isDraining { return }
                if now - idleSince > server.config.idleTimeout { return }
            }
            if !stream.hasBufferedBytes {
                let ready = Socket.poll(stream.fd, events: Int16(POLLIN), timeoutMs: 100)
                if ready == 0 { continue }
            }
            guard let bytes = stream.read(max: 65536), !bytes.isEmpty else { return }
            parser.append(bytes)
        }
    }

    /// Runs one request and writes its response; false when the connection must close.
    private func handle(_ request: HTTPRequest) -> Bool {
        let context = RequestContext(remoteAddress: peer)
        let box = ResponseBox()
        let responder = server.responder
        let task = Task(executorPreference: server.handlerExecutor) {
            let response = await responder.respond(to: request, context: context)
            box.fulfill(response)
        }
        // Wait for the handler, watching for the client hanging up meanwhile. pollRDHUP
        // reports the peer's FIN without reading (pipelined bytes stay in the kernel).
        var response: HTTPResponse?
        while response == nil {
            response = box.wait(seconds: 0.05)
            if response != nil { break }
            let ev = Socket.poll(stream.fd, events: Int16(pollRDHUP), timeoutMs: 0)
            if ev & Int16(pollRDHUP | POLLHUP | POLLERR) != 0 {
                task.cancel()
                _ = box.wait(seconds: 5)
                return false
            }
        }
        guard var response else { return false }
        let keepAlive = request.keepAlive && !server.isDraining && !response.headers.tokens("Connection").contains("close")
        compressIfAccepted(&response, request: request)
        let bytes = HTTPSerializer.serialize(response, keepAlive: keepAlive, headRequest: request.method == .head)
        guard stream.write(bytes) else { return false }
        return keepAlive
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
}

/// A one-shot response slot a handler task fills and the connection thread waits on.
final class ResponseBox: Sendable {
    private let value = Mutex<HTTPResponse?>(nil)
    private let signal = DispatchSemaphore(value: 0)

    func fulfill(_ r: HTTPResponse) {
        value.withLock { $0 = r }
        signal.signal()
    }

    /// The response, or nil if none arrived within `seconds`.
    func wait(seconds: Double) -> HTTPResponse? {
        if let v = value.withLock({ $0 }) { return v }
        guard signal.wait(timeout: .now() + seconds) == .success else { return nil }
        return value.withLock { $0 }
    }
}

/// Linux POLLRDHUP (peer closed its writing half); not exported by the Glibc overlay.
let pollRDHUP: Int32 = 0x2000
