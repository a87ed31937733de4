// The whole service on loopback with real clients (curl, and a raw socket for
// pipelining): every endpoint, keep-alive, gzip, /healthz staying fast while inference
// is busy, and graceful shutdown on SIGTERM of an in-process ServiceApp.
import Foundation
import HTTP
import HTTPServer
import JSON
import Testing
@testable import Service

/// Runs a program to its end; returns its exit status and one captured stream as text.
func runProgram(_ path: String, _ args: [String], capturing stream: ProgramStream = .stdout) throws -> (status: Int32, out: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = stream == .stdout ? pipe : FileHandle.nullDevice
    p.standardError = stream == .stderr ? pipe : FileHandle.nullDevice
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

enum ProgramStream { case stdout, stderr }

func curlSync(_ args: [String]) throws -> (status: Int32, out: String) {
    try runProgram("/usr/bin/curl", ["-s", "--max-time", "10"] + args)
}

/// Sends `bytes` on a fresh connection and returns everything received until EOF.
func rawExchangeSync(port: Int, _ text: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw ServiceError.engineFailed("connect failed") }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out += buf[0 ..< n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// curl, run off the cooperative pool (blocking there would stall other tests' tasks).
func curl(_ args: [String]) async throws -> (status: Int32, out: String) {
    let r: Result<(status: Int32, out: String), any Error> = await offPool { Result { try curlSync(args) } }
    return try r.get()
}

func rawExchange(port: Int, _ text: String) async throws -> String {
    let r: Result<String, any Error> = await offPool { Result { try rawExchangeSync(port: port, text) } }
    return try r.get()
}

func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        let t = Thread { c.resume(returning: body()) }
        t.start()
    }
}

@Suite("live service on loopback", .serialized)
struct LiveServiceTests {
    let root = TestRoot()
    static let hasCurl = FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")

    func startApp(_ spec: TestSpec = TestSpec(), configure: (inout ServiceConfig) -> Void = { _ in }) throws -> ServiceApp {
        let artifacts = root.bundle("v1", spec)
        var config = ServiceConfig(artifacts: artifacts, adapterRoot: root.path)
        config.server.port = 0
        config.adminTokens = KeySet(keys: ["s3cret"])
        config.shutdownGrace = 5
        configure(&config)
        let app = try ServiceApp(config: config, loader: TestLoader(), logger: quietLogger())
        try app.start()
        return app
    }

    @Test("every endpoint answers over HTTP with curl", .enabled(if: hasCurl, "/usr/bin/curl is not installed"))
    func everyEndpoint() async throws {
        let app = try startApp()
        defer { app.shutdown() }
        let base = "http://127.0.0.1:\(app.server.port)"
        let code = ["-o", "/dev/null", "-w", "%{http_code}"]
        #expect(try await curl([base + "/healthz"]).out == #"{"status":"ok"}"#)
        #expect(try await curl(code + [base + "/readyz"]).out == "200")
        #expect(try await curl([base + "/metrics"]).out.contains("# TYPE hdrec_http_requests_total counter"))
        #expect(try await curl([base + "/model"]).out == TestSpec().json)
        let rec = try await curl(["-H", "Content-Type: application/json", "-d", #"{"history":["i1","i2"],"k":3}"#, base + "/recommend"])
        let json = try JSONValue.parse(rec.out)
        guard case .array(let items)? = json["items"] else { Issue.record("bad /recommend: \(rec.out)"); return }
        #expect(items.count == 3)
        #expect(try await curl(code + ["-d", #"{"history":[]}"#, base + "/recommend"]).out == "422")
        #expect(try await curl(code + [base + "/adapters"]).out == "401")
        #expect(try await curl(["-H", "Authorization: Bearer s3cret", base + "/adapters"]).out.contains(#""current":{"text":"aaaaaaaaaaaa""#))
        root.bundle("v2", TestSpec(text: "cccccccccccc", id: "dddddddddddd", seed: 2))
        let put = try await curl(["-X", "PUT", "-H", "Authorization: Bearer s3cret", "-d", #"{"path":"v2"}"#, base + "/adapters"])
        #expect(put.out.contains(#""adapters":{"text":"cccccccccccc","id":"dddddddddddd"}"#))
        let back = try await curl(["-X", "POST", "-H", "Authorization: Bearer s3cret", base + "/adapters/rollback"])
        #expect(back.out.contains(#""adapters":{"text":"aaaaaaaaaaaa""#))
        #expect(try await curl(code + [base + "/nope"]).out == "404")
        #expect(try await curl(code + ["-X", "DELETE", base + "/recommend"]).out == "405")
        let bigFile = root.path + "/big.json"
        _ = FileManager.default.createFile(atPath: bigFile, contents: Data(repeating: 120, count: 2 << 20))
        #expect(try await curl(code + ["--data-binary", "@" + bigFile, base + "/recommend"]).out == "413")
    }

    @Test("reuses one connection for several requests (keep-alive) and gzips for curl --compressed",
          .enabled(if: hasCurl, "/usr/bin/curl is not installed"))
    func keepAliveAndGzip() async throws {
        let app = try startApp()
        defer { app.shutdown() }
        let base = "http://127.0.0.1:\(app.server.port)"
        let r = try await curl(["-w", "%{num_connects} ", "-o", "/dev/null", base + "/healthz", "-o", "/dev/null", base + "/readyz",
                          "-o", "/dev/null", base + "/metrics"])
        #expect(r.out == "1 0 0 ")
        let gz = try await curl(["--compressed", "-D", "-", base + "/metrics"])
        #expect(gz.out.lowercased().contains("content-encoding: gzip"))
        #expect(gz.out.contains("# TYPE process_resident_memory_bytes gauge"))
    }

    @Test("answers pipelined requests in order on one connection")
    func pipelining() async throws {
        let app = try startApp()
        defer { app.shutdown() }
        let body = #"{"history":["i3"],"k":1}"#
        let text = try await rawExchange(port: app.server.port,
            "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: one\r\n\r\n" +
            "POST /recommend HTTP/1.1\r\nHost: t\r\nX-Request-Id: two\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)" +
            "GET /readyz HTTP/1.1\r\nHost: t\r\nX-Request-Id: three\r\nConnection: close\r\n\r\n")
        let ids = text.components(separatedBy: "\r\n").filter { $0.hasPrefix("X-Request-Id: ") }
        #expect(ids == ["X-Request-Id: one", "X-Request-Id: two", "X-Request-Id: three"])
        #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
    }

    @Test("/healthz answers while inference is held busy", .enabled(if: hasCurl, "/usr/bin/curl is not installed"))
    func healthzNotBlocked() async throws {
        let gate = "healthz-\(UUID())"
        let app = try startApp(TestSpec(gate: gate)) { $0.maxBatch = 1 }
        defer { app.shutdown() }
        let base = "http://127.0.0.1:\(app.server.port)"
        let busy = Task.detached { try? await curl(["-d", #"{"history":["i1"]}"#, base + "/recommend"]) }
        try await waitUntil { app.service.metrics.batchSize.count() == 1 }  // the forward has started and is held
        let start = Date()
        #expect(try await curl([base + "/healthz"]).out == #"{"status":"ok"}"#)
        #expect(try await curl([base + "/metrics"]).out.contains("hdrec_inflight_requests 2"))
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 3, "probes took \(elapsed) s while inference was busy")
        Latch.named(gate).open()
        #expect(await busy.value?.out.contains(#""items""#) == true)
    }

    @Test("SIGTERM with a drain delay: /readyz answers 503 to new connections during the delay, then the port closes")
    func drainDelayIsVisibleToProbes() async throws {
        let app = try startApp { $0.drainDelay = 1.5 }
        let port = app.server.port
        let exit = Shared<Int32?>(nil)
        let runner = Thread { exit.withLock { $0 = app.runUntilTerminated() } }
        runner.start()
        try await Task.sleep(nanoseconds: 50_000_000)  // the signal watcher is installed
        #expect(try await rawExchange(port: port, "GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        let signalled = Date()
        kill(getpid(), SIGTERM)
        try await Task.sleep(nanoseconds: 200_000_000)
        // A fresh connection, as a kubelet probe makes: accepted, told "not ready", closed.
        let probe = try await rawExchange(port: port, "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(probe.hasPrefix("HTTP/1.1 503"))
        #expect(probe.contains("Connection: close"))
        #expect(try await rawExchange(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        let deadline = Date().addingTimeInterval(6)
        while exit.withLock({ $0 }) == nil && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(exit.withLock { $0 } == 0)
        #expect(Date().timeIntervalSince(signalled) >= 1.5)
        await #expect(throws: (any Error).self) { try await rawExchange(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") }
    }

    @Test("SIGTERM drains: the in-flight request completes, readyz flips, the listener closes, exit status 0")
    func sigtermGracefulShutdown() async throws {
        // The request is held 1.5 s, so that SIGTERM (sent 0.1 s in) has started the drain
        // before its response is written, even on a loaded 2-core CI machine.
        let app = try startApp(TestSpec(delayMs: 1500))
        let port = app.server.port
        let exit = Shared<Int32?>(nil)
        let runner = Thread { exit.withLock { $0 = app.runUntilTerminated() } }
        runner.start()
        try await Task.sleep(nanoseconds: 50_000_000)  // the signal watcher is installed
        let body = #"{"history":["i1"],"k":2}"#
        let inflight = Task.detached {
            try await rawExchange(port: port, "POST /recommend HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        kill(getpid(), SIGTERM)
        let response = try await inflight.value
        #expect(response.hasPrefix("HTTP/1.1 200 OK"))
        #expect(response.contains("Connection: close"))
        #expect(response.contains(#""items":["#))
        let deadline = Date().addingTimeInterval(5)
        while exit.withLock({ $0 }) == nil && Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(exit.withLock { $0 } == 0)
        #expect(app.service.isDraining)
        await #expect(throws: (any Error).self) { try await rawExchange(port: port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n") }
    }
}
