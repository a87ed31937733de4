// Bearer-token checks for the two protected route groups: API keys for inference
// (`--api-key-file`, optional) and the admin token for /adapters (`--admin-token-file`;
// without it admin is disabled and answers 403). Key files hold one key per line; blank
// lines and `#` comments are ignored. Comparison is constant-time per candidate.
import Foundation
import HTTP

public struct KeySet: Sendable, Equatable {
    public let keys: [String]

    public init(keys: [String]) { self.keys = keys }

    /// Reads a key file.
    public static func load(path: String) throws -> KeySet {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ServiceError.unreadableKeyFile(path: path) }
        let keys = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw ServiceError.emptyKeyFile(path: path) }
        return KeySet(keys: keys)
    }

    /// Whether the request carries one of the keys, as `Authorization: Bearer <key>`
    /// or (`allowHeader`) `X-Api-Key: <key>`.
    public func admits(_ request: HTTPRequest, allowAPIKeyHeader: Bool) -> Bool {
        var presented: [String] = []
        if let auth = request.headers["Authorization"] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { presented.append(parts[1].trimmingCharacters(in: .whitespaces)) }
        }
        if allowAPIKeyHeader, let k = request.headers["X-Api-Key"] { presented.append(k) }
        return presented.contains { p in keys.contains { constantTimeEquals($0, p) } }
    }
}

func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0 ..< max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}

enum AuthProblems {
    static func unauthorized(_ detail: String) -> HTTPResponse {
        Problem(status: .unauthorized, detail: detail, headers: HTTPHeaders([("WWW-Authenticate", "Bearer")])).response
    }

    static let adminDisabled = Problem(status: .forbidden, title: "Admin is disabled",
                                       detail: "admin routes are disabled: start hdrec-server with --admin-token-file to enable them").response
}
