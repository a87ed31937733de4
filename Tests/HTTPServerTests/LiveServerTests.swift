// Live loopback tests of the transport: keep-alive, pipelining, Connection: close,
// parser errors on the wire, limits, read and idle timeouts, the connection cap's 503,
// eviction of idle connections at the cap, the per-address cap, cancellation on a reset,
// half-close, absolute-form targets, idle connections without threads, graceful
// shutdown, gzip, TLS and signals.
import Foundation
import HTTP
import Synchronization
import Testing
@testable import HTTPServer

final class Flag: Sendable {
    private let v = Mutex(false)
    func set() { v.withLock { $0 = true } }
    var isSet: Bool { v.withLock { $0 } }
}

func makeServer(_ configure: (inout ServerConfig) -> Void = { _ in }, cancelled: Flag = Flag()) throws -> HTTPServer {
    var r = Router()
    r.on(.get, "/hello") { req, _ in .text("hello \(req.query ?? "")") }
    r.on(.post, "/echo") { req, _ in HTTPResponse(body: req.body) }
    r.on(.get, "/big") { _, _ in .text(String(repeating: "0123456789abcdef", count: 1024)) }
    r.on(.get, "/slow") { _, _ in
        do { try await Task.sleep(nanoseconds: 300_000_000) } catch { cancelled.set() }
        return .text("slow done")
    }
    // Inline routes run on the event loop's own thread: /where names it, /block holds it.
    r.onInline(.get, "/where") { _, _ in .text("thread \(pthread_self())") }
    r.onInline(.get, "/block") { req, _ in
        usleep(UInt32(req.query.flatMap { Int($0) } ?? 500) * 1000)
        return .text("unblocked")
    }
    r.on(.get, "/hang") { _, _ in
        do { try await Task.sleep(nanoseconds: 10_000_000_000) } catch { cancelled.set() }
        return .text("never")
    }
    var config = ServerConfig()
    config.port = 0
    configure(&config)
    let server = try HTTPServer(config: config, responder: r)
    try server.start()
    return server
}

@Suite("live HTTP server on loopback", .serialized)
struct LiveServerTests {
    @Test("serves several requests on one keep-alive connection")
    func keepAlive() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        for i in 0 ..< 3 {
            c.send("GET /hello?\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
            let r = try #require(await c.readResponse())
            #expect(r.status == 200)
            #expect(r.text == "hello \(i)")
            #expect(r.header("Connection") == nil)
        }
    }

    @Test("answers pipelined requests in order")
    func pipelining() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabcGET /hello?z HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await c.readResponse()?.text == "slow done")
        #expect(await c.readResponse()?.text == "abc")
        #expect(await c.readResponse()?.text == "hello z")
    }

    @Test("closes after Connection: close, and decodes chunked request bodies")
    func connectionClose() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        let r = try #require(await c.readResponse())
        #expect(r.text == "abcde")
        #expect(r.header("Connection") == "close")
        #expect(await c.closedByPeer())
    }

    @Test("answers a smuggling attempt with 400 problem+json and closes")
    func smugglingRejected() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        let r = try #require(await c.readResponse())
        #expect(r.status == 400)
        #expect(r.header("Content-Type") == "application/problem+json")
        #expect(await c.closedByPeer())
    }

    @Test("answers an oversized body with 413 before reading it")
    func bodyTooLarge() async throws {
        let server = try makeServer { $0.limits.maxBodyBytes = 16 }
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n")
        #expect(await c.readResponse()?.status == 413)
    }

    @Test("sends 100 Continue when the client expects it")
    func expectContinue() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        let interim = await c.receive(max: 64)
        #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        c.send("ok")
        #expect(await c.readResponse()?.text == "ok")
    }

    @Test("times out a slow client with 408 and an idle one silently")
    func timeouts() async throws {
        let server = try makeServer { $0.readTimeout = 0.3; $0.idleTimeout = 0.3 }
        defer { server.shutdown(gracePeriod: 1) }
        let slow = try RawClient(port: server.port)
        slow.send("GET /hello HTTP/1.1\r\nHo")
        let start = Date()
        #expect(await slow.readResponse()?.status == 408)
        #expect(Date().timeIntervalSince(start) < 2)
        let idle = try RawClient(port: server.port)
        #expect(await idle.closedByPeer(within: 2))
    }

    @Test("at the cap, closes the longest-idle keep-alive connection for a new client")
    func connectionCapEvictsIdle() async throws {
        let server = try makeServer { $0.maxConnections = 1 }
        defer { server.shutdown(gracePeriod: 1) }
        let first = try RawClient(port: server.port)
        first.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await first.readResponse()?.status == 200)
        let second = try RawClient(port: server.port)
        second.send("GET /hello?second HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await second.readResponse()?.text == "hello second")
        #expect(await first.closedByPeer(within: 10))  // generous: the suite shares 2 cores with parallel tests
        #expect(server.evictedConnections == 1)
        #expect(server.rejectedConnections == 0)
    }

    @Test("at the cap, a loop with no idle connection hands the new client to the loop that has one")
    func connectionCapEvictsAcrossLoops() async throws {
        // Which loop accepts is the kernel's choice, except that a loop whose thread is busy
        // cannot: /block holds one loop's thread, so the next connection goes to the other.
        let server = try makeServer { $0.maxConnections = 3; $0.eventLoops = 2 }
        defer { server.shutdown(gracePeriod: 1) }
        func loop(of c: RawClient) async -> String? {
            c.send("GET /where HTTP/1.1\r\nHost: t\r\n\r\n")
            return await c.readResponse()?.text
        }
        let idle = try RawClient(port: server.port)           // will be the only idle connection, on loop X
        let x = try #require(await loop(of: idle))
        idle.send("GET /block?300 HTTP/1.1\r\nHost: t\r\n\r\n")   // holds X
        try await Task.sleep(nanoseconds: 100_000_000)
        let busy = try RawClient(port: server.port)           // so it lands on loop Y
        let y = try #require(await loop(of: busy))
        #expect(y != x)
        #expect(await idle.readResponse()?.text == "unblocked")
        busy.send("GET /block?300 HTTP/1.1\r\nHost: t\r\n\r\n")   // holds Y
        try await Task.sleep(nanoseconds: 100_000_000)
        let blocker = try RawClient(port: server.port)        // so it lands on X
        #expect(await loop(of: blocker) == x)
        #expect(await busy.readResponse()?.text == "unblocked")

        busy.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")          // in flight on Y, Y's thread free
        blocker.send("GET /block?800 HTTP/1.1\r\nHost: t\r\n\r\n")  // holds X
        try await Task.sleep(nanoseconds: 150_000_000)
        // At the cap: Y accepts, has nothing idle, and must hand the client to X, which closes `idle`.
        let newcomer = try RawClient(port: server.port)
        newcomer.send("GET /hello?new HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await newcomer.readResponse()?.text == "hello new")
        #expect(await idle.closedByPeer(within: 10))
        #expect(server.evictedConnections == 1)
        #expect(server.rejectedConnections == 0)
    }

    @Test("at the cap with no idle connection, turns a new client away with a fast 503 and Retry-After")
    func connectionCapRefusesWhenBusy() async throws {
        let server = try makeServer { $0.maxConnections = 1; $0.retryAfterSeconds = 2 }
        defer { server.shutdown(gracePeriod: 1) }
        let busy = try RawClient(port: server.port)
        busy.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(nanoseconds: 100_000_000)
        let start = Date()
        let second = try RawClient(port: server.port)
        let r = try #require(await second.readResponse())
        #expect(r.status == 503)
        #expect(r.header("Retry-After") == "2")
        #expect(Date().timeIntervalSince(start) < 2)  // answered at accept, long before any read timeout
        #expect(server.rejectedConnections == 1)
        #expect(server.evictedConnections == 0)
    }

    @Test("limits connections per client address with 429 when asked to")
    func perAddressLimit() async throws {
        let server = try makeServer { $0.maxConnectionsPerAddress = 1 }
        defer { server.shutdown(gracePeriod: 1) }
        let first = try RawClient(port: server.port)
        first.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await first.readResponse()?.status == 200)
        let second = try RawClient(port: server.port)
        #expect(await second.readResponse()?.status == 429)
        #expect(server.rejectedConnections == 1)
    }

    @Test("cancels the handler when the client resets the connection")
    func resetCancels() async throws {
        let cancelled = Flag()
        let server = try makeServer(cancelled: cancelled)
        defer { server.shutdown(gracePeriod: 1) }
        do {
            let c = try RawClient(port: server.port)
            c.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
            try await Task.sleep(nanoseconds: 100_000_000)
            c.resetOnClose()
        }  // client closes here, with a reset
        let deadline = Date().addingTimeInterval(2)
        while !cancelled.isSet && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(cancelled.isSet)
    }

    @Test("a FIN is not a hang-up: every request received before it is answered, in order, then the connection closes")
    func halfCloseAnswersEverything() async throws {
        let cancelled = Flag()
        let server = try makeServer(cancelled: cancelled)
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send((0 ..< 5).map { "GET /slow?\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        c.halfClose()
        for _ in 0 ..< 5 { #expect(await c.readResponse()?.text == "slow done") }
        #expect(await c.closedByPeer())
        #expect(!cancelled.isSet)
    }

    @Test("accepts the absolute-form request target (RFC 9112 §3.2.2)")
    func absoluteForm() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("GET http://example.test:8080/hello?abs HTTP/1.1\r\nHost: other\r\n\r\n")
        #expect(await c.readResponse()?.text == "hello abs")
    }

    @Test("idle connections hold no thread: 1,000 of them leave the thread count flat and a new client answered")
    func idleConnectionsAreCheap() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let before = processThreadCount()
        var idle: [RawClient] = []
        for _ in 0 ..< 1000 { idle.append(try RawClient(port: server.port)) }
        try await waitFor(seconds: 5) { server.openConnections == 1000 }
        #expect(server.openConnections == 1000)
        #expect(processThreadCount() - before < 10)
        let c = try RawClient(port: server.port)
        c.send("GET /hello?fresh HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await c.readResponse()?.text == "hello fresh")
        idle.removeAll()
        try await waitFor(seconds: 5) { server.openConnections == 1 }
        #expect(server.openConnections == 1)
    }

    @Test("a client stuck mid-request is closed when the grace period ends")
    func stuckClientClosedAtGraceEnd() async throws {
        let server = try makeServer()
        let c = try RawClient(port: server.port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        try await Task.sleep(nanoseconds: 50_000_000)
        let start = Date()
        let drained = await offPool { server.shutdown(gracePeriod: 0.3) }
        #expect(!drained)
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(await c.closedByPeer())
    }

    @Test("graceful shutdown finishes in-flight requests, refuses new ones and returns true")
    func gracefulShutdown() async throws {
        let server = try makeServer()
        let c = try RawClient(port: server.port)
        c.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(nanoseconds: 50_000_000)
        let drained = Mutex<Bool?>(nil)
        let t = Thread { drained.withLock { $0 = server.shutdown(gracePeriod: 5) } }
        t.start()
        let r = try #require(await c.readResponse())
        #expect(r.text == "slow done")
        #expect(r.header("Connection") == "close")
        let deadline = Date().addingTimeInterval(3)
        while drained.withLock({ $0 }) == nil && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(drained.withLock { $0 } == true)
        #expect(throws: HTTPServerError.self) { try RawClient(port: server.port) }
    }

    @Test("gzips large responses for clients that accept gzip, and only for them")
    func gzip() async throws {
        let server = try makeServer()
        defer { server.shutdown(gracePeriod: 1) }
        let c = try RawClient(port: server.port)
        c.send("GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br, gzip;q=0.5\r\n\r\n")
        let r = try #require(await c.readResponse())
        #expect(r.header("Content-Encoding") == "gzip")
        #expect(r.body.count < 16384)
        #expect(try Gzip.decompress(r.body) == Array(String(repeating: "0123456789abcdef", count: 1024).utf8))
        c.send("GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0\r\n\r\n")
        #expect(await c.readResponse()?.header("Content-Encoding") == nil)
    }

    @Test("delivers signals to the watcher instead of killing the process")
    func signals() async throws {
        let got = Flag()
        let watcher = SignalWatcher(signals: [SIGUSR2]) { _ in got.set() }
        defer { watcher.cancel() }
        kill(getpid(), SIGUSR2)  // process-directed: test worker threads may block signals
        let deadline = Date().addingTimeInterval(2)
        while !got.isSet && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(got.isSet)
    }

    @Test("serves HTTPS with a self-signed certificate (curl -k)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
                       && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                   "/usr/bin/openssl or /usr/bin/curl is not installed"))
    func tls() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-tls-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = await runOffPool("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1"])
        try #require(gen.status == 0)
        let server = try makeServer { $0.tls = TLSFiles(certificateChain: "\(dir)/cert.pem", privateKey: "\(dir)/key.pem") }
        defer { server.shutdown(gracePeriod: 1) }
        let out = await runOffPool("/usr/bin/curl", ["-sk", "--max-time", "5", "https://127.0.0.1:\(server.port)/hello?tls", "https://127.0.0.1:\(server.port)/hello?again"])
        #expect(out.status == 0)
        #expect(out.stdout == "hello tlshello again")
        #expect(throws: HTTPServerError.self) { try HTTPServer(config: { var c = ServerConfig(); c.tls = TLSFiles(certificateChain: "/nonexistent", privateKey: "/nonexistent"); return c }(), responder: Router()) }
    }
}

/// Threads in this process (/proc/self/status).
func processThreadCount() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
    return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
}

func waitFor(seconds: Double, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
}

func run(_ path: String, _ args: [String]) throws -> (status: Int32, stdout: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func runOffPool(_ path: String, _ args: [String]) async -> (status: Int32, stdout: String) {
    await offPool { (try? run(path, args)) ?? (-1, "") }
}
