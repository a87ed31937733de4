// The Support module's typed error: each case carries the path and what was found.
import Foundation

/// Errors from Support utilities (file reading, decompression).
public enum SupportError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String)
    case readFailed(path: String, message: String)
    case corruptGzip(path: String, message: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path): return "cannot open \(path)"
        case let .readFailed(path, message): return "reading \(path) failed: \(message)"
        case let .corruptGzip(path, message): return "\(path): corrupt or truncated gzip data (\(message))"
        }
    }
}
