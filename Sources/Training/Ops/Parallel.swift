// Parallel: the one place Training ops fan work out over threads.
//
// Until the Kernels module's `ThreadPool.shared.parallelFor` is used here, this forwards to
// Dispatch's `concurrentPerform`. Work items must write disjoint memory (each op documents how
// it partitions: rows, or (sequence, KV head) for attention backward).
import Dispatch

/// Runs `body(i)` for i in 0..<count, possibly concurrently; returns when all are done.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 { body(0); return }
    // concurrentPerform wants a @Sendable closure; ops hand it pointer-capturing closures whose
    // work items touch disjoint memory, which is the invariant this box vouches for.
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendableBox(value: escapable)
        DispatchQueue.concurrentPerform(iterations: count) { i in box.value(i) }
    }
}

struct UncheckedSendableBox<V>: @unchecked Sendable { let value: V }

/// Splits `rows` into about `2 × cores` contiguous chunks and runs `body(range)` on each;
/// small jobs run inline because a thread hop costs more than the work.
@inline(__always)
func parallelRows(_ rows: Int, minRowsPerChunk: Int = 16, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(rows / max(1, minRowsPerChunk), 2 * ProcessInfoCache.cores))
    if chunks == 1 { body(0..<rows); return }
    parallelFor(chunks) { c in
        let lo = rows * c / chunks, hi = rows * (c + 1) / chunks
        body(lo..<hi)
    }
}

enum ProcessInfoCache {
    static let cores: Int = max(1, sysconfCores())
}

#if canImport(Glibc)
import Glibc
private func sysconfCores() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#else
import Darwin
private func sysconfCores() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#endif
