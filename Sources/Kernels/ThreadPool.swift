// A small pool of persistent worker threads for the numeric kernels.
//
// Why not Dispatch: `concurrentPerform` is fine for big loops, but the decoder calls
// into the kernels ~200 times per forward pass with jobs of tens of microseconds, so
// dispatch overhead matters. Workers here park on a condition variable after a short
// spin, a job is published by bumping a generation counter, and items are handed out
// through one atomic counter (dynamic scheduling: on a shared 2-core machine a core
// may be busy with someone else's process, and a static split would wait for it).
//
// Contract: `parallelFor` runs `body(i)` exactly once for each i in 0..<count, the
// calling thread participates, and it returns when every call has finished. Jobs do
// not overlap: a second caller that finds the pool busy (another thread's job, or a
// nested call from inside a body) runs its loop inline on its own thread, so there is
// no deadlock and the result is the same.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

public final class ThreadPool: @unchecked Sendable {
    /// Threads that execute work, the calling thread included (>= 1).
    public var threadCount: Int { state.workerCount + 1 }

    /// The process-wide pool: `HDREC_THREADS` when set to a positive integer, else the
    /// number of online cores.
    public static let shared = ThreadPool(threadCount: ThreadPool.defaultThreadCount())

    /// The thread count `shared` uses.
    public static func defaultThreadCount() -> Int {
        if let raw = getenv("HDREC_THREADS"), let n = Int(String(cString: raw)), n > 0 {
            return min(n, 256)
        }
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    private let state: PoolState
    private var threads: [pthread_t] = []

    /// Creates a pool; `threadCount - 1` worker threads are started (the caller is the last one).
    public init(threadCount: Int) {
        state = PoolState(workerCount: max(1, min(threadCount, 256)) - 1)
        for _ in 0..<state.workerCount {
            let context = Unmanaged.passRetained(state).toOpaque()
            #if canImport(Darwin)
            var thread: pthread_t? = nil
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<PoolState>.fromOpaque(raw).takeRetainedValue().workerLoop()
                return nil
            }, context)
            if rc == 0, let thread { threads.append(thread) } else { Unmanaged<PoolState>.fromOpaque(context).release() }
            #else
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<PoolState>.fromOpaque(raw).takeRetainedValue().workerLoop()
                return nil
            }, context)
            if rc == 0 { threads.append(thread) } else { Unmanaged<PoolState>.fromOpaque(context).release() }
            #endif
        }
        // If a thread failed to start, run with the ones that did.
        state.workerCount = threads.count
    }

    deinit {
        state.shutdown()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs body(i) for i in 0..<count across the pool (caller participates) and returns when all finished.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || state.workerCount == 0 || !state.tryBeginJob() {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            state.runJob(count: count, body: escapable)
        }
    }
}

/// Everything the workers touch; kept apart from `ThreadPool` so that the workers'
/// references do not keep the pool alive (its deinit stops them).
///
/// Job protocol: `gate` packs (generation << 32) | closed bit | joined count. The caller
/// publishes a job by storing a new generation; a worker that sees it joins by
/// incrementing the count (CAS) while the job is open, drains items, and increments
/// `finished`. When the caller has no items left to take it closes the gate and waits
/// only for the workers that joined. A worker that was descheduled (busy machine) and
/// wakes after the close just skips the job, so the caller never waits for it.
private final class PoolState: @unchecked Sendable {
    var workerCount: Int
    let gate = Atomic<Int>(0)
    let nextIndex = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let callerSleeping = Atomic<Bool>(false)
    let stopping = Atomic<Bool>(false)
    // Written before `gate` is opened (release) and read after a successful join.
    var body: ((Int) -> Void)? = nil
    var count = 0

    static let closedBit = 1 << 31
    static let joinedMask = (1 << 31) - 1

    let jobLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)   // one job at a time
    let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)        // workers park here
    let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)        // the caller parks here
    var sleepers = 0          // under sleepLock

    // Spin iterations before parking: ~10-30 µs, enough to cover the gap between two
    // kernel calls of a forward pass without burning a shared core for long.
    static let spinLimit = 20_000

    init(workerCount: Int) {
        self.workerCount = workerCount
        pthread_mutex_init(jobLock, nil)
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
    }

    deinit {
        pthread_mutex_destroy(jobLock); jobLock.deallocate()
        pthread_mutex_destroy(sleepLock); sleepLock.deallocate()
        pthread_cond_destroy(wake); wake.deallocate()
        pthread_cond_destroy(done); done.deallocate()
    }

    func tryBeginJob() -> Bool { pthread_mutex_trylock(jobLock) == 0 }

    func runJob(count: Int, body: @escaping (Int) -> Void) {
        self.body = body
        self.count = count
        nextIndex.store(0, ordering: .relaxed)
        finished.store(0, ordering: .relaxed)
        let generation = (gate.load(ordering: .relaxed) >> 32) &+ 1
        pthread_mutex_lock(sleepLock)
        gate.store(generation << 32, ordering: .releasing)
        if sleepers > 0 { pthread_cond_broadcast(wake) }
        pthread_mutex_unlock(sleepLock)

        drain()

        // Close the job; from now on only the workers that joined matter.
        var old = gate.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = gate.compareExchange(expected: old, desired: old | PoolState.closedBit,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { break }
            old = original
        }
        let joined = old & PoolState.joinedMask
        var spins = 0
        while finished.load(ordering: .acquiring) != joined && spins < PoolState.spinLimit { spins += 1 }
        if finished.load(ordering: .acquiring) != joined {
            pthread_mutex_lock(sleepLock)
            callerSleeping.store(true, ordering: .sequentiallyConsistent)
            while finished.load(ordering: .sequentiallyConsistent) != joined { pthread_cond_wait(done, sleepLock) }
            callerSleeping.store(false, ordering: .relaxed)
            pthread_mutex_unlock(sleepLock)
        }
        self.body = nil
        pthread_mutex_unlock(jobLock)
    }

    private func drain() {
        guard let body else { return }
        let count = self.count
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { break }
            body(i)
        }
    }

    /// Joins the open job of `generation`; false when it is closed or superseded.
    private func join(_ generation: Int) -> Bool {
        var old = gate.load(ordering: .acquiring)
        while (old >> 32) == generation && old & PoolState.closedBit == 0 {
            let (exchanged, original) = gate.compareExchange(expected: old, desired: old + 1,
                                                              ordering: .acquiringAndReleasing)
            if exchanged { return true }
            old = original
        }
        return false
    }

    func workerLoop() {
        var seen = 0
        while true {
            var g = gate.load(ordering: .acquiring) >> 32
            var spins = 0
            while g == seen && spins < PoolState.spinLimit && !stopping.load(ordering: .relaxed) {
                spins += 1
                g = gate.load(ordering: .acquiring) >> 32
            }
            if g == seen {
                pthread_mutex_lock(sleepLock)
                sleepers += 1
                while gate.load(ordering: .acquiring) >> 32 == seen && !stopping.load(ordering: .relaxed) {
                    pthread_cond_wait(wake, sleepLock)
                }
                sleepers -= 1
                pthread_mutex_unlock(sleepLock)
                g = gate.load(ordering: .acquiring) >> 32
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = g
            guard join(g) else { continue }
            drain()
            finished.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if callerSleeping.load(ordering: .sequentiallyConsistent) {
                pthread_mutex_lock(sleepLock)
                pthread_cond_signal(done)
                pthread_mutex_unlock(sleepLock)
            }
        }
    }

    func shutdown() {
        pthread_mutex_lock(sleepLock)
        stopping.store(true, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(sleepLock)
    }
}
