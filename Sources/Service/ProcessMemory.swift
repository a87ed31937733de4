// glibc malloc policy for the long-running server. Without it, resident memory grew
// with every hot swap made under load: see docs/service.md "Operations" (Memory) for
// what the heap profile showed. Two changes, both made once at start:
//   - a fixed mmap threshold, so that large buffers (weights, heads, KV caches, the
//     batch scratch) are mapped and given back to the kernel when freed, instead of
//     being carved out of an arena once glibc's adaptive threshold has grown;
//   - at most a few arenas: each thread that allocates under contention otherwise gets
//     its own arena, and freed memory inside one is rarely reusable by another;
// and after each swap, once the old engine has had time to drain, a trim returns the
// free pages inside every arena.
import CLinux
import Dispatch
import Foundation

public enum ProcessMemory {
    /// Applies the server's malloc policy unless the operator set glibc's own
    /// MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ (those then win). Returns what it applied.
    @discardableResult
    public static func tuneForServer(arenas: Int = 2, mmapThreshold: Int = 256 * 1024) -> String {
        let env = ProcessInfo.processInfo.environment
        if env["MALLOC_ARENA_MAX"] != nil || env["MALLOC_MMAP_THRESHOLD_"] != nil {
            return "glibc defaults from the environment"
        }
        guard hdrec_malloc_tune(Int32(arenas), Int32(mmapThreshold)) != 0 else { return "mallopt failed; glibc defaults" }
        return "arenas \(arenas), mmap threshold \(mmapThreshold) bytes"
    }

    /// Returns free heap pages to the kernel `delay` seconds from now (after a swap: the
    /// old engine is freed when its last in-flight batch ends).
    public static func trimSoon(after delay: Double = 2) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) { _ = hdrec_malloc_trim() }
    }
}
