// TrainingAllocator on glibc: a thread that allocates, touches and frees a step's worth of
// activation-sized blocks twice must find its memory still mapped the second time (the
// trainer runs on a Swift concurrency thread, whose per-thread arena deleted emptied heaps
// before M_TOP_PAD was raised; docs/training.md §Speed).
#if canImport(Glibc)
import Foundation
import Glibc
import Testing
@testable import Training
import TrainingOps

@Suite("Training allocator")
struct TrainingAllocatorTests {
    /// Minor page faults of the calling thread (RUSAGE_THREAD).
    static func threadFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage) // RUSAGE_THREAD
        return usage.ru_minflt
    }

    @Test("a second round of 72 MB of 3 MB blocks on a fresh thread faults in under a tenth of its pages")
    func freedMemoryStaysMapped() async {
        TrainingAllocator.retainFreedMemory()
        let rounds: [Int] = await withCheckedContinuation { done in
            let thread = Thread {
                var faults: [Int] = []
                for _ in 0..<2 {
                    let before = Self.threadFaults()
                    var blocks: [UnsafeMutablePointer<Float>] = []
                    for _ in 0..<24 {
                        let p = UnsafeMutablePointer<Float>.allocate(capacity: 750_000) // 3 MB
                        p.initialize(repeating: 1, count: 750_000)
                        blocks.append(p)
                    }
                    for p in blocks.reversed() { p.deallocate() }
                    faults.append(Self.threadFaults() - before)
                }
                done.resume(returning: faults)
            }
            thread.start()
        }
        // 72 MB is ~17,600 pages. How many of them the first round faults in depends on the
        // machine: a fresh thread can be handed an arena another thread already grew (glibc
        // shares arenas past 8 per core), and transparent huge pages fault 2 MB at once. So the
        // bound is on the pages touched, which a trimmed heap would fault in again in full.
        let pagesTouched = 24 * 750_000 * MemoryLayout<Float>.size / Int(getpagesize())
        #expect(rounds[1] < pagesTouched / 10,
                "second round faulted \(rounds[1]) of \(pagesTouched) pages (first round: \(rounds[0]))")
    }
}
#endif
