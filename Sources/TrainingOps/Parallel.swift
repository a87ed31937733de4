// Parallel: the one place the training ops (TrainingOps, and the HDRec layers in Training) fan
// work out over threads.
//
// Forwards to the Kernels module's `ThreadPool.shared` (docs/kernels.md): persistent workers,
// dynamic scheduling, and a nested or concurrent call runs inline instead of deadlocking. Work
// items must write disjoint memory (each op documents how it partitions: rows, or
// (sequence, KV head) for attention backward).
import Kernels

/// Runs `body(i)` for i in 0..<count, possibly concurrently; returns when all are done.
@inlinable @inline(__always)
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 0 { return }
    if count == 1 { body(0); return }
    ThreadPool.shared.parallelFor(count, body)
}

/// Splits `rows` into about `2 × threads` contiguous chunks and runs `body(range)` on each;
/// small jobs run inline because a thread hop costs more than the work.
@inlinable @inline(__always)
public func parallelRows(_ rows: Int, minRowsPerChunk: Int = 16, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(rows / max(1, minRowsPerChunk), 2 * ThreadPool.shared.threadCount))
    if chunks == 1 { body(0..<rows); return }
    parallelFor(chunks) { c in
        let lo = rows * c / chunks, hi = rows * (c + 1) / chunks
        body(lo..<hi)
    }
}

/// Threads the pool runs work on (the calling thread included): sizes per-thread partial sums.
@inlinable @inline(__always)
public func parallelWidth() -> Int { ThreadPool.shared.threadCount }
