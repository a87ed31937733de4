// The inference queue: concurrent /recommend requests wait here and one inference thread
// takes them in batches (up to `maxBatch`, waiting at most `window` seconds after the
// first arrival for more), so each pass runs one batched forward instead of one per
// request. The queue is bounded: beyond `maxQueue` waiting queries, `submit` fails at
// once (the route answers 503 + Retry-After). A cancelled task (client disconnect)
// leaves the queue before it costs a forward. A batch only mixes queries bound to the
// same engine, so a request that started before a hot-swap finishes on the old pair.
import Foundation
import HDRecInference
import Synchronization

public final class BatchQueue: Sendable {
    public let maxQueue: Int
    public let maxBatch: Int
    public let window: Double
    private let metrics: ServiceMetrics?

    private struct Ticket {
        let id: UInt64
        let engine: any RecommendationEngine
        let query: RecommendationRequest
        let continuation: CheckedContinuation<Recommendation, any Error>
    }

    private struct State {
        var pending: [Ticket] = []
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        var stopped = false
        var firstArrival: Double?
    }

    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    public init(maxQueue: Int, maxBatch: Int = 16, window: Double = 0.002, metrics: ServiceMetrics? = nil) {
        self.maxQueue = max(1, maxQueue)
        self.maxBatch = max(1, maxBatch)
        self.window = max(0, window)
        self.metrics = metrics
        let thread = Thread { [self] in workerLoop() }
        thread.name = "inference"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queries waiting (not yet taken by the inference thread).
    public var depth: Int { state.withLock { $0.pending.count } }

    /// Queues `query` for `engine` and waits for its output. Throws `ServiceError.queueFull`
    /// at once when full, `CancellationError` if the task is cancelled while waiting.
    public func submit(_ query: RecommendationRequest, engine: any RecommendationEngine) async throws -> Recommendation {
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Recommendation, any Error>) in
                let verdict: (any Error)? = state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil { return CancellationError() }
                    if s.stopped { return ServiceError.engineFailed("the server is shutting down") }
                    if s.pending.count >= maxQueue { return ServiceError.queueFull(limit: maxQueue) }
                    if s.pending.isEmpty { s.firstArrival = ProcessInfo.processInfo.systemUptime }
                    s.pending.append(Ticket(id: id, engine: engine, query: query, continuation: c))
                    metrics?.queueDepth.set(Double(s.pending.count))
                    return nil
                }
                if let verdict { c.resume(throwing: verdict) } else { wakeup.signal() }
            }
        } onCancel: {
            let ticket: Ticket? = state.withLock { s in
                if let i = s.pending.firstIndex(where: { $0.id == id }) {
                    let t = s.pending.remove(at: i)
                    metrics?.queueDepth.set(Double(s.pending.count))
                    return t
                }
                s.cancelledEarly.insert(id)   // not queued yet, or already running
                return nil
            }
            ticket?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Stops the worker after failing everything still queued.
    public func stop() {
        let left = state.withLock { s -> [Ticket] in
            s.stopped = true
            defer { s.pending = [] }
            return s.pending
        }
        for t in left { t.continuation.resume(throwing: ServiceError.engineFailed("the server is shutting down")) }
        wakeup.signal()
    }

    // MARK: - Worker

    private func workerLoop() {
        while true {
            wakeup.wait()
            while let batch = takeBatch() {
                run(batch)
            }
            if state.withLock({ $0.stopped }) { return }
        }
    }

    /// Waits out the batching window, then removes up to `maxBatch` queries bound to the
    /// engine of the oldest one, keeping the others' order.
    private func takeBatch() -> [Ticket]? {
        while true {
            let (count, first, stopped) = state.withLock { ($0.pending.count, $0.firstArrival, $0.stopped) }
            if stopped || count == 0 { return nil }
            let waited = ProcessInfo.processInfo.systemUptime - (first ?? 0)
            if count >= maxBatch || waited >= window { break }
            usleep(UInt32(max(100, (window - waited) * 1e6)))
        }
        return state.withLock { s in
            guard let head = s.pending.first else { return nil }
            var batch: [Ticket] = []
            var rest: [Ticket] = []
            for t in s.pending {
                if batch.count < maxBatch && t.engine === head.engine { batch.append(t) } else { rest.append(t) }
            }
            s.pending = rest
            s.firstArrival = rest.isEmpty ? nil : ProcessInfo.processInfo.systemUptime
            for t in batch { s.cancelledEarly.remove(t.id) }
            metrics?.queueDepth.set(Double(rest.count))
            return batch
        }
    }

    private func run(_ batch: [Ticket]) {
        metrics?.batchSize.observe(Double(batch.count))
        let engine = batch[0].engine
        do {
            let outputs = try engine.recommend(batch.map(\.query))
            guard outputs.count == batch.count else {
                throw ServiceError.engineReturnedWrongCount(expected: batch.count, got: outputs.count)
            }
            if let t = outputs.first?.timing {  // milliseconds, one batched forward per pass
                metrics?.forwardDuration.observe(t.textPass / 1000, ["text"])
                metrics?.forwardDuration.observe(t.idPass / 1000, ["id"])
            }
            for (ticket, output) in zip(batch, outputs) { ticket.continuation.resume(returning: output) }
        } catch {
            let failure = (error as? ServiceError) ?? ServiceError.engineFailed(String(describing: error))
            for ticket in batch { ticket.continuation.resume(throwing: failure) }
        }
    }
}
