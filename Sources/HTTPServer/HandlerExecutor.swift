// The executor request handlers run on: a concurrent Dispatch queue, not Swift's global
// cooperative pool. The cooperative pool has one thread per core (two here); if anything
// else in the process blocks those threads (a model call made synchronously from async
// code, a test client), handlers - /healthz included - would stall behind it. Dispatch
// adds threads when its workers block, so probes keep answering.
import Dispatch

final class HandlerExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "http-handlers", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        queue.async { [self] in unowned.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
