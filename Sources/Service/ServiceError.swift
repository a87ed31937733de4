// The Service module's error enum: configuration, bundle loading and admin failures,
// each with the path or value that was wrong.
import Foundation

public enum ServiceError: Error, CustomStringConvertible, Equatable {
    /// No engine loader is wired in yet (the integration step of docs/service.md).
    case loaderUnavailable(reason: String)
    case notADirectory(path: String)
    case unreadableKeyFile(path: String)
    case emptyKeyFile(path: String)
    case pathOutsideRoot(path: String, root: String)
    case noPreviousAdapters
    case swapInProgress
    case queueFull(limit: Int)
    case engineFailed(String)
    case engineReturnedWrongCount(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .loaderUnavailable(let reason): return "bundle loading is not available yet: \(reason)"
        case .notADirectory(let p): return "\(p) is not a directory"
        case .unreadableKeyFile(let p): return "cannot read key file \(p)"
        case .emptyKeyFile(let p): return "key file \(p) holds no key"
        case let .pathOutsideRoot(p, root): return "\(p) is not under the adapter root \(root)"
        case .noPreviousAdapters: return "there is no previous adapter pair to roll back to"
        case .swapInProgress: return "another adapter swap is in progress"
        case .queueFull(let limit): return "the inference queue is full (\(limit) waiting)"
        case .engineFailed(let m): return "inference failed: \(m)"
        case let .engineReturnedWrongCount(e, g): return "engine returned \(g) outputs for \(e) queries"
        }
    }
}
