// Crash-safe file output: bytes go to a temporary file beside the destination,
// are flushed, then renamed over it, so a reader never sees a half-written file
// and a failed write never destroys the previous good one. Errors name the file being
// written (not its temporary name). A test-only seam makes writes under one directory
// fail after a byte budget, as a full disk would (`injectFault`).
import Foundation
import Synchronization

public enum AtomicFileError: Error, CustomStringConvertible, Equatable {
    case cannotCreate(path: String, errno: Int32)
    case writeFailed(path: String, errno: Int32)
    case renameFailed(from: String, to: String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotCreate(path, e): return "cannot create \(path): \(String(cString: strerror(e)))"
        case let .writeFailed(path, e): return "write to \(path) failed: \(String(cString: strerror(e)))"
        case let .renameFailed(from, to, e): return "cannot rename \(from) to \(to): \(String(cString: strerror(e)))"
        }
    }
}

public enum AtomicFile {
    /// Byte budgets by directory prefix: writes to files under one fail with ENOSPC once the
    /// budget is spent. Keyed by directory so tests running in parallel do not see each other's.
    private static let faults = Mutex<[String: Int]>([:])

    /// Makes writes to files under `directory` fail with ENOSPC after `bytes` more bytes (in
    /// total across files), as on a full disk; nil removes the fault. For tests.
    public static func injectFault(under directory: String, afterBytes bytes: Int?) {
        let key = directory.hasSuffix("/") ? directory : directory + "/"
        faults.withLock { $0[key] = bytes }
    }

    /// How many of `count` bytes to `path` may be written before an injected fault (nil: no fault).
    private static func budget(for path: String, count: Int) -> Int? {
        faults.withLock { table in
            guard let key = table.keys.first(where: { path.hasPrefix($0) }), let left = table[key] else { return nil }
            table[key] = max(0, left - count)
            return min(left, count)
        }
    }

    /// Writes `data` to `path` atomically (temp file + fsync + rename).
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { handle in
            try data.withUnsafeBytes { raw in try handle(raw) }
        }
    }

    /// Writes a string as UTF-8, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Streams bytes into `path` atomically: `body` receives a function that appends bytes.
    /// If `body` throws, the temporary file is removed and `path` is left untouched.
    public static func write(to path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let tmp = (directory.isEmpty ? "." : directory) + "/.\(base).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFileError.cannotCreate(path: tmp, errno: errno) }
        var closed = false
        defer {
            if !closed { close(fd) }
        }
        do {
            try body { bytes in
                var offset = 0
                var allowed = bytes.count
                if let budget = budget(for: path, count: bytes.count) { allowed = budget }
                while offset < bytes.count {
                    guard offset < allowed else { throw AtomicFileError.writeFailed(path: path, errno: ENOSPC) }
                    let n = Foundation.write(fd, bytes.baseAddress! + offset, allowed - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw AtomicFileError.writeFailed(path: path, errno: errno)
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw AtomicFileError.writeFailed(path: path, errno: errno) }
            close(fd)
            closed = true
            guard rename(tmp, path) == 0 else { throw AtomicFileError.renameFailed(from: tmp, to: path, errno: errno) }
        } catch {
            if !closed { close(fd); closed = true }
            unlink(tmp)
            throw error
        }
    }
}
