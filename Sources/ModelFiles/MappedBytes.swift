// Read-only byte storage behind GGUFFile and SafetensorsFile: either a read-only
// `mmap` of a file (so multi-hundred-MB weights are paged in lazily and shared
// between processes) or an owned, 64-byte-aligned copy of in-memory `Data` (tests).
// The storage is immutable after init, hence safe to share across threads.
import Foundation

final class MappedBytes: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let count: Int
    private let isMapped: Bool

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFilesError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFilesError.cannotOpen(path: path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelFilesError.cannotOpen(path: path, errno: EISDIR) }
        count = Int(st.st_size)
        isMapped = count > 0
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelFilesError.cannotMap(path: path, errno: errno)
        }
        base = UnsafeRawPointer(p)
    }

    init(data: Data) {
        count = data.count
        isMapped = false
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { src in
            if let s = src.baseAddress, src.count > 0 { p.copyMemory(from: s, byteCount: src.count) }
        }
        base = UnsafeRawPointer(p)
    }

    deinit {
        guard let base else { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }
}
