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
        let gate = "batches-\(UUID())"
        let engine = TestEngine(spec: TestSpec(gate: gate))
        let queue = BatchQueue(maxQueue: 64, maxBatch: 8, window: 0.002)
        defer { queue.stop() }
        let first = Task { try await queue.submit(RecommendQuery(history: [0], k: 3, alpha: 0.5), engine: engine) }
        try await waitUntil { engine.batchSizes.withLock { $0.count } == 1 }  // held inside the engine
        let rest = Task {
            try await withThrowingTaskGroup(of: RecommendOutput.self) { group in
                for i in 1 ..< 8 {
                    group.addTask { try await queue.submit(RecommendQuery(history: [i], k: 3, alpha: 0.5), engine: engine) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitUntil { queue.depth == 7 }
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
                    let q = RecommendQuery(history: [i, i + 1], k: 5, alpha: 0.3)
                    let got = try await queue.submit(q, engine: engine)
                    #expect(got == (try engine.recommend([q]))[0])
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("fails fast with queueFull beyond the cap, and /recommend turns it into 503 + Retry-After",
          .disabled("flaky in the full parallel suite: the five requests need the 2-thread cooperative pool while other suites hold it; to be rewritten with a latch per request"))
    func queueCap() async throws {
        let root = TestRoot()
        let gate = "cap-\(UUID())"
        let service = try makeService(root: root, spec: TestSpec(gate: gate)) { $0.maxQueue = 1; $0.maxBatch = 1 }
        let done = Shared(0)
        let all = Task {
            await withTaskGroup(of: (Int, String?).self) { group in
                for _ in 0 ..< 5 {
                    group.addTask {
                        let r = await service.call(.post, "/recommend", json: #"{"history": ["i1"], "k": 1}"#)
                        done.withLock { $0 += 1 }
                        return (r.status.code, r.headers["Retry-After"])
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        // At most one request is held in the engine and one waits in the queue: at least
        // three must be answered while the engine is still busy.
        try await waitUntil { done.withLock { $0 } >= 3 }
        #expect(done.withLock { $0 } >= 3)
        Latch.named(gate).open()
        let statuses = await all.value
        let rejected = statuses.filter { $0.0 == 503 }
        #expect(rejected.count >= 3, "\(statuses)")
        #expect(rejected.allSatisfy { $0.1 == "1" })
        #expect(statuses.filter { $0.0 == 200 }.count == 5 - rejected.count)
    }

    @Test("a cancelled task leaves the queue without reaching the engine")
    func cancellation() async throws {
        let gate = "cancel-\(UUID())"
        let engine = TestEngine(spec: TestSpec(gate: gate))
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
        Latch.named(gate).open()
        _ = try await first.value
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(engine.batchSizes.withLock { $0 } == [1])
    }
}
