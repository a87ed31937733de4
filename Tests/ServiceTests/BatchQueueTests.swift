// The inference queue: batching of concurrent queries, the queue cap's fast 503, and
// cancellation of queued work (a cancelled task, and a client that resets; a client that
// only half-closes is still answered).
//
// Determinism: the test engine holds every forward on a latch of its own per request
// (TestEngine.latch), so which request is in the engine, which wait in the queue and
// which are refused is fixed by the test, not by scheduling. Waits are on conditions
// with long deadlines (the full suite runs in parallel on 2 shared cores); no assertion
// depends on elapsed time. "Fast" is asserted as "answered while the engine is still
// held", i.e. without waiting for any inference.
import Foundation
import HTTP
import HDRecInference
import Synchronization
import Testing
@testable import Service

@Suite("batching queue")
struct BatchQueueTests {
    @Test("batches concurrent queries into fewer forwards within the window")
    func batches() async throws {
        let gate = "batches-\(UUID())"
        let engine = TestEngine(spec: TestSpec(gate: gate))
        let queue = BatchQueue(maxQueue: 64, maxBatch: 8, window: 0.002)
        defer { queue.stop() }
        defer { Latch.named(gate).open() }
        let first = Task { try await queue.submit(RecommendationRequest(history: [0], k: 3, alpha: 0.5), engine: engine) }
        try await waitUntil(seconds: 60) { engine.batchSizes.withLock { $0.count } == 1 }  // held inside the engine
        let rest = Task {
            try await withThrowingTaskGroup(of: Recommendation.self) { group in
                for i in 1 ..< 8 {
                    group.addTask { try await queue.submit(RecommendationRequest(history: [i], k: 3, alpha: 0.5), engine: engine) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitUntil(seconds: 60) { queue.depth == 7 }
        Latch.named(gate).open()
        _ = try await first.value
        #expect(try await rest.value.count == 7)
        // The seven that waited together ran as one forward.
        #expect(engine.batchSizes.withLock { $0 } == [1, 7])
    }

    @Test("answers each query with its own output, in order within a batch")
    func perQueryOutputs() async throws {
        let engine = TestEngine(spec: TestSpec())
        let queue = BatchQueue(maxQueue: 64, maxBatch: 4, window: 0.01)
        defer { queue.stop() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0 ..< 6 {
                group.addTask {
                    let q = RecommendationRequest(history: [i, i + 1], k: 5, alpha: 0.3)
                    let got = try await queue.submit(q, engine: engine)
                    #expect(got == (try engine.recommend([q]))[0])
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("beyond the queue cap /recommend answers 503 + Retry-After at once, and refused requests never reach the engine")
    func queueCap() async throws {
        let root = TestRoot()
        let gate = "cap-\(UUID())"
        let service = try makeService(root: root, spec: TestSpec(gate: gate)) { $0.maxQueue = 2; $0.maxBatch = 1 }
        defer { service.queue.stop() }
        defer { Latch.named(gate).open() }  // whatever happens, never leave the inference thread held
        let engine = try #require(service.registry.current as? TestEngine)

        /// Sends POST /recommend for history [i<item>]; the answer lands in the returned box.
        func post(_ item: Int) -> Shared<HTTPResponse?> {
            let box = Shared<HTTPResponse?>(nil)
            Task {
                let r = await service.call(.post, "/recommend", json: #"{"history": ["i\#(item)"], "k": 1}"#)
                box.withLock { $0 = r }
            }
            return box
        }
        func answer(_ box: Shared<HTTPResponse?>) async throws -> HTTPResponse {
            try await waitUntil(seconds: 60) { box.withLock { $0 != nil } }
            return try #require(box.withLock { $0 })
        }

        // Request 1 is taken by the inference thread and held in the engine on its latch.
        let running = post(1)
        try await waitUntil(seconds: 60) { engine.seen.withLock { $0 } == [[1]] }
        try #require(engine.seen.withLock { $0 } == [[1]])
        // Requests 2 and 3 fill the queue (cap 2).
        let queued = [post(2), post(3)]
        try await waitUntil(seconds: 60) { service.queue.depth == 2 }
        try #require(service.queue.depth == 2)

        // Every further request is refused while request 1 is still held: the 503 does not
        // wait for inference. Retry-After tells the client when to come back.
        for item in 4 ... 6 {
            let r = try await answer(post(item))
            #expect(r.status.code == 503)
            #expect(r.headers["Retry-After"] == "1")
            #expect(r.headers["Content-Type"] == "application/problem+json")
            #expect(r.bodyText.contains("queue is full"))
        }
        #expect(engine.seen.withLock { $0 } == [[1]])
        #expect(service.queue.depth == 2)
        #expect(running.withLock { $0 == nil } && queued.allSatisfy { b in b.withLock { $0 == nil } })

        // Released one by one, the held and the queued requests are all answered, in order;
        // the refused ones never cost a forward.
        for (item, box) in zip(1 ... 3, [running] + queued) {
            Latch.named(TestEngine.latch(gate: gate, for: RecommendationRequest(history: [item]))).open()
            #expect(try await answer(box).status.code == 200)
        }
        #expect(engine.seen.withLock { $0 } == [[1], [2], [3]])
        let metrics = service.metrics.registry.exposition()
        #expect(metrics.contains(#"hdrec_http_requests_total{route="/recommend",method="POST",status="503"} 3"#))
        #expect(metrics.contains(#"hdrec_http_requests_total{route="/recommend",method="POST",status="200"} 3"#))
    }

    @Test("a cancelled task leaves the queue without reaching the engine")
    func cancellation() async throws {
        let gate = "cancel-\(UUID())"
        let engine = TestEngine(spec: TestSpec(gate: gate))
        let queue = BatchQueue(maxQueue: 8, maxBatch: 1, window: 0)
        defer { queue.stop() }
        defer { Latch.named(gate).open() }
        let first = Task { try await queue.submit(RecommendationRequest(history: [1], k: 1, alpha: 0.5), engine: engine) }
        try await waitUntil(seconds: 60) { engine.batchSizes.withLock { $0.count } == 1 }  // first is running in the engine
        let second = Task { try await queue.submit(RecommendationRequest(history: [2], k: 1, alpha: 0.5), engine: engine) }
        try await waitUntil(seconds: 60) { queue.depth == 1 }
        try #require(queue.depth == 1)
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(queue.depth == 0)
        Latch.named(gate).open()
        _ = try await first.value
        // A third query, queued after the cancelled one, runs next: the cancelled one is gone.
        _ = try await queue.submit(RecommendationRequest(history: [3], k: 1, alpha: 0.5), engine: engine)
        #expect(engine.seen.withLock { $0 } == [[1], [3]])
    }

    @Test("a client that resets while its query is queued has it cancelled; one that only half-closes is still answered")
    func resetCancelsQueuedWorkButFINDoesNot() async throws {
        let root = TestRoot()
        let gate = "hangup-\(UUID())"
        var config = ServiceConfig(artifacts: root.bundle("v1", TestSpec(gate: gate)), adapterRoot: root.path)
        config.server.port = 0
        config.maxBatch = 1
        config.batchWindow = 0
        config.shutdownGrace = 5
        let app = try ServiceApp(config: config, loader: TestLoader(), logger: quietLogger())
        try app.start()
        defer { app.shutdown() }
        defer { Latch.named(gate).open() }
        let engine = try #require(app.service.registry.current as? TestEngine)
        let url = "http://127.0.0.1:\(app.server.port)/recommend"
        func release(_ item: Int) { Latch.named(TestEngine.latch(gate: gate, for: RecommendationRequest(history: [item]))).open() }
        func body(_ item: Int) -> String { #"{"history": ["i\#(item)"], "k": 1}"# }
        func raw(_ item: Int) -> String {
            "POST /recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body(item).utf8.count)\r\n\r\n\(body(item))"
        }

        // Request 1 (curl) is held in the engine.
        let held = Task { try await curl(["--max-time", "120", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
                                          "-d", body(1), url]) }
        try await waitUntil(seconds: 60) { engine.seen.withLock { $0 } == [[1]] }
        try #require(engine.seen.withLock { $0 } == [[1]])

        // Request 2 is queued, then its client half-closes (FIN): it stays queued.
        let finished = try connectAndSend(port: app.server.port, raw(2))
        defer { close(finished) }
        try await waitUntil(seconds: 60) { app.service.queue.depth == 1 }
        shutdown(finished, Int32(SHUT_WR))
        // Request 3 is queued behind it, then its client resets (RST): it leaves the queue.
        let reset = try connectAndSend(port: app.server.port, raw(3))
        try await waitUntil(seconds: 60) { app.service.queue.depth == 2 }
        try #require(app.service.queue.depth == 2)
        var hard = linger(l_onoff: 1, l_linger: 0)
        setsockopt(reset, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size))
        close(reset)
        try await waitUntil(seconds: 60) { app.service.queue.depth == 1 }
        #expect(app.service.queue.depth == 1)

        // Request 1 completes; request 2 runs next and its half-closed client gets the answer.
        release(1)
        #expect(try await held.value.out == "200")
        release(2)
        let answer = await offPool { readAll(finished) }
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(engine.seen.withLock { $0 } == [[1], [2]])
    }
}

/// Reads until EOF (or 60 s of silence) and returns what arrived as text.
func readAll(_ fd: Int32) -> String {
    var tv = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out += buf[0 ..< n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// Opens a loopback connection to `port`, sends `text`, and returns the socket (open).
func connectAndSend(port: Int, _ text: String) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { close(fd); throw ServiceError.engineFailed("connect to 127.0.0.1:\(port) failed") }
    let bytes = Array(text.utf8)
    let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    guard sent == bytes.count else { close(fd); throw ServiceError.engineFailed("short send: \(sent) of \(bytes.count) bytes") }
    return fd
}
