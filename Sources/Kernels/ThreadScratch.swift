// Per-thread scratch buffers that persist between kernel calls.
//
// Why: the GEMM packs operands into scratch memory on every call. Fresh allocations
// of hundreds of KiB go through mmap and page faults on every call (~100 µs), which is
// more than a whole small product costs. Each thread instead keeps a few numbered,
// 64-byte aligned slots that only grow. A slot's contents are valid until the same
// thread asks for the same slot again; callers use distinct slots for buffers that
// are live at the same time (see `ScratchSlot`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The scratch slots the kernels use; buffers live at the same time use different slots.
public enum ScratchSlot: Int, CaseIterable, Sendable {
    /// Whole-product operand packing done by the calling thread (e.g. transposed activations).
    case operand = 0
    /// Per-task packing inside a parallel body (dequantized weight rows, tails).
    case task = 1
    /// Per-task auxiliary data (block sums, small temporaries).
    case auxiliary = 2
    /// Free for callers outside the kernels.
    case caller = 3
}

public enum ThreadScratch {
    /// A 64-byte aligned buffer of at least `count` floats owned by the current thread.
    /// Contents are undefined on return; valid until this thread requests `slot` again.
    public static func floats(_ count: Int, slot: ScratchSlot) -> UnsafeMutablePointer<Float> {
        bytes(count * MemoryLayout<Float>.stride, slot: slot).assumingMemoryBound(to: Float.self)
    }

    /// A 64-byte aligned buffer of at least `count` bytes owned by the current thread.
    public static func bytes(_ count: Int, slot: ScratchSlot) -> UnsafeMutableRawPointer {
        let table = currentTable()
        let s = slot.rawValue
        if table.capacity[s] < count || table.pointers[s] == nil {
            free(table.pointers[s])
            let size = max(count, 4096)
            var raw: UnsafeMutableRawPointer? = nil
            if posix_memalign(&raw, 64, size) != 0 || raw == nil {
                // Out of memory: there is no sensible way to continue a numeric kernel.
                fatalError("ThreadScratch: cannot allocate \(size) bytes")
            }
            table.pointers[s] = raw
            table.capacity[s] = size
        }
        return table.pointers[s]!
    }

    private final class Table {
        var pointers = [UnsafeMutableRawPointer?](repeating: nil, count: ScratchSlot.allCases.count)
        var capacity = [Int](repeating: 0, count: ScratchSlot.allCases.count)
        deinit { for p in pointers { free(p) } }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<Table>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<Table>.fromOpaque(raw).release() }
            #endif
        }
        return key
    }()

    private static func currentTable() -> Table {
        if let raw = pthread_getspecific(key) {
            return Unmanaged<Table>.fromOpaque(raw).takeUnretainedValue()
        }
        let table = Table()
        pthread_setspecific(key, Unmanaged.passRetained(table).toOpaque())
        return table
    }
}
