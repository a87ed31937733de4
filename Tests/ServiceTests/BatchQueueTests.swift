// The inference queue: batching of concurrent queries, the queue cap's fast 503, and
// cancellation of queued work.
import Foundation
import HTTP
import Synchronization
import Testing
@testable import Service

@Suite("batching queue")
struct BatchQueueTests {
    @Test("batches concurrent queries into fewer forwards within the window")
    func batches() async throws {
        let engine = TestEngine(spec: TestSpec(delayMs: 20))
        let queue = BatchQueue(maxQueue: 64, maxBatch: 8, window: 0.02)
        defer { queue.stop() }
        let outputs = try await withThrowingTaskGroup(of: RecommendOutput.self) { group in
            for i in 0 ..< 8 {
                group.addTask { try await queue.submit(RecommendQuery(history: [i], k: 3, alpha: 0.5), engine: engine) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outputs.count == 8)
        let sizes = engine.batchSizes.withLock { $0 }
        #expect(sizes.reduce(0, +) == 8)
        #expect(sizes.count < 8, "expected batching, got batch sizes \(sizes)")
    }

    @Test("answers each query with its own output, in order within a batch")
    func perQueryOutputs() async throws {
        let engine = TestEngine(spec: TestSpec())
        let queue = BatchQueue(maxQueue: 64, maxBatch: 4, window: 0.01)
        defer { queue.stop() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0 ..< 6 {
                group.addTask {
                    let q = RecommendQuery(history: [i, i + 1], k: 5, alpha: 0.3)
                    let got = try await queue.submit(q, engine: engine)
                    #expect(got == (try engine.recommend([q]))[0])
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("fails fast with queueFull beyond the cap, and /recommend turns it into 503 + Retry-After")
    func queueCap() async throws {
        let root = TestRoot()
        let service = try makeService(root: root, spec: TestSpec(delayMs: 150)) { $0.maxQueue = 1; $0.maxBatch = 1 }
        let statuses = await withTaskGroup(of: (Int, String?).self) { group in
            for _ in 0 ..< 5 {
                group.addTask {
                    let r = await service.call(.post, "/recommend", json: #"{"history": ["i1"], "k": 1}"#)
                    return (r.status.code, r.headers["Retry-After"])
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let rejected = statuses.filter { $0.0 == 503 }
        #expect(!rejected.isEmpty, "\(statuses)")
        #expect(rejected.allSatisfy { $0.1 == "1" })
        #expect(statuses.contains { $0.0 == 200 })
    }

    @Test("a cancelled task leaves the queue without reaching the engine")
    func cancellation() async throws {
        let engine = TestEngine(spec: TestSpec(delayMs: 200))
        let queue = BatchQueue(maxQueue: 8, maxBatch: 1, window: 0)
        defer { queue.stop() }
        let first = Task { try await queue.submit(RecommendQuery(history: [1], k: 1, alpha: 0.5), engine: engine) }
        try await waitUntil { engine.batchSizes.withLock { $0.count } == 1 }  // first is running in the engine
        let second = Task { try await queue.submit(RecommendQuery(history: [2], k: 1, alpha: 0.5), engine: engine) }
        try await waitUntil { queue.depth == 1 }
        #expect(queue.depth == 1)
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(queue.depth == 0)
        _ = try await first.value
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(engine.batchSizes.withLock { $0 } == [1])
    }
}
