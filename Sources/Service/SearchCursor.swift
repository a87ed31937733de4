// The `cursor` of GET /items: opaque to clients, it names the catalog position to resume
// from and carries a hash of the folded query it was made for, so a cursor replayed with
// another `q` is refused (400) rather than silently paging through the wrong results.
// base64url of "<position>.<hash>": no padding, safe in a query string as is.
import Foundation

struct SearchCursor: Equatable {
    var position: Int
    var queryHash: UInt32

    init(position: Int, query: String) {
        self.position = position
        queryHash = SearchCursor.hash(CatalogSearch.fold(query))
    }

    private init(position: Int, queryHash: UInt32) {
        self.position = position
        self.queryHash = queryHash
    }

    var encoded: String {
        Data("\(position).\(String(queryHash, radix: 16))".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor `text` encodes, or nil when it is not one of ours.
    static func decode(_ text: String) -> SearchCursor? {
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: b64), let plain = String(data: data, encoding: .utf8) else { return nil }
        let parts = plain.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let position = Int(parts[0]), position >= 0, let hash = UInt32(parts[1], radix: 16) else { return nil }
        return SearchCursor(position: position, queryHash: hash)
    }

    /// FNV-1a: a short, stable fingerprint (not a secret; cursors are not capabilities).
    static func hash(_ s: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}
