// TrainingAllocator: keeps freed activation memory in the process for the next step.
//
// A training step allocates and frees the same few hundred MB of activations and backward
// temporaries every time (LlamaBlockActivations per layer, the per-op scratch of LlamaBlock and
// LoRALinear). glibc serves blocks above its mmap threshold with fresh mappings, and gives
// the top of the heap back to the OS above its trim threshold, so each step paid page faults and
// kernel page clearing again: about a tenth of a step's CPU time in the profile
// (docs/training.md §Speed). Raising both thresholds (the mmap one to glibc's 32 MiB cap) makes the second
// step reuse the first step's memory for every block up to that size. The resident size then stays at the peak of a step, which the trainer reaches
// anyway. Called by HDRecNetwork.init; other platforms keep their allocator's defaults.
//
// The two thresholds only govern glibc's main (brk) arena. The trainer runs on a Swift
// concurrency thread, whose allocations live in a per-thread arena made of 64 MiB mmap'd
// heaps, and glibc deletes such a heap as soon as it is empty whatever the trim threshold:
// with the thresholds alone, about three quarters of a step's activation memory was still
// unmapped and faulted in again every step (perf: page faults, `clear_page` and the first
// touch in memset were ~7 % of the step thread's time, all of it serial). A top pad of one
// whole heap (M_TOP_PAD = 64 MiB) makes glibc keep the emptied heaps instead; in the main
// arena it only enlarges each brk extension by address space that is never touched unless
// used. `TrainingAllocatorTests` checks the second round of a thread's allocations faults
// in (almost) nothing.
#if canImport(Glibc)
// glibc's mallopt (malloc.h is not part of the Glibc module map).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

public enum TrainingAllocator {
    private static let configured: Bool = {
        #if canImport(Glibc)
        // M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3 (malloc.h). glibc caps
        // the mmap threshold at 32 MiB on 64-bit: larger blocks are still mapped afresh.
        _ = glibcMallopt(-3, 1 << 25)
        _ = glibcMallopt(-1, Int32.max)
        _ = glibcMallopt(-2, 1 << 26)
        return true
        #else
        return false
        #endif
    }()

    /// Raises the allocator's mmap and trim thresholds once per process; later calls do nothing.
    @discardableResult
    public static func retainFreedMemory() -> Bool { configured }
}
