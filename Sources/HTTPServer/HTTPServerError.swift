// The HTTPServer module's error enum: socket, TLS and compression failures, each with
// the call that failed and errno or the OpenSSL/zlib message.
import Foundation

public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String)
    case socketFailed(call: String, errno: Int32)
    case tlsSetupFailed(String)
    case compressionFailed(code: Int32)

    public var description: String {
        switch self {
        case .invalidAddress(let a): return "invalid listen address \"\(a)\" (an IPv4 or IPv6 literal)"
        case let .socketFailed(call, e): return "\(call) failed: \(String(cString: strerror(e)))"
        case .tlsSetupFailed(let m): return "TLS setup failed: \(m)"
        case .compressionFailed(let code): return "zlib failed with code \(code)"
        }
    }
}
