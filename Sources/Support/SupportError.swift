// The Support module's typed error: each case carries the path and what was found.
import Foundation

/// Errors from Support utilities (file reading, decompression).
public enum SupportError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String)
    case readFailed(path: String, message: String)
    case corruptGzip(path: String, message: String)
    /// A directory was to be published (StagedDirectory) where a non-directory is.
    case notADirectory(path: String)
    /// A directory was to be published over a non-empty one without leave to replace it.
    case destinationNotEmpty(path: String, entries: Int)
    /// A step of publishing a directory (rename, fsync) failed with `errno`.
    case publishFailed(step: String, errno: Int32)

    public var description: String {
        switch self {
        case let .cannotOpen(path): return "cannot open \(path)"
        case let .readFailed(path, message): return "reading \(path) failed: \(message)"
        case let .corruptGzip(path, message): return "\(path): corrupt or truncated gzip data (\(message))"
        case let .notADirectory(path): return "\(path) exists and is not a directory"
        case let .destinationNotEmpty(path, entries):
            return "\(path) is not empty (\(entries) entries): give --force to replace it"
        case let .publishFailed(step, e): return "\(step) failed: \(String(cString: strerror(e)))"
        }
    }
}
