// The query string of a GET request (`application/x-www-form-urlencoded`, as browsers
// send it): `name=value` pairs joined by `&`, `+` for a space, `%XX` for any byte. The
// HTTP module leaves targets undecoded (routes are ASCII), so routes that read
// parameters decode them here, strictly: a bad escape or bytes that are not UTF-8 are a
// client error, not something to guess around.
import HTTP

enum QueryString {
    struct Malformed: Error, Equatable {
        var name: String?
        var detail: String
    }

    /// The pairs in order, each value decoded and raw (for lists whose separator may also
    /// appear escaped inside an element, like `ids=a%2Cb,c`); a pair without `=` has the
    /// value "". Empty pieces (`a=1&&b=2`) are skipped.
    static func parse(_ query: String?) throws(Malformed) -> [(name: String, value: String, raw: Substring.UTF8View)] {
        guard let query, !query.isEmpty else { return [] }
        var pairs: [(name: String, value: String, raw: Substring.UTF8View)] = []
        for piece in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let eq = piece.firstIndex(of: UInt8(ascii: "="))
            let rawName = eq.map { piece[..<$0] } ?? piece[...]
            let rawValue = eq.map { piece[piece.index(after: $0)...] } ?? piece[piece.endIndex...]
            guard let name = decode(rawName) else { throw Malformed(name: nil, detail: "a parameter name is not valid percent-encoded UTF-8") }
            guard let value = decode(rawValue) else { throw Malformed(name: name, detail: "'\(name)' is not valid percent-encoded UTF-8") }
            pairs.append((name, value, rawValue))
        }
        return pairs
    }

    /// Percent-decodes one component (`+` is a space); nil for a bad escape or invalid UTF-8.
    static func decode(_ bytes: Substring.UTF8View) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                let h = bytes.index(after: i)
                guard h < bytes.endIndex, bytes.index(after: h) < bytes.endIndex,
                      let hi = hexValue(bytes[h]), let lo = hexValue(bytes[bytes.index(after: h)]) else { return nil }
                out.append(hi << 4 | lo)
                i = bytes.index(h, offsetBy: 2)
                continue
            }
            out.append(b == UInt8(ascii: "+") ? 0x20 : b)
            i = bytes.index(after: i)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30 ... 0x39: return b - 0x30
        case 0x41 ... 0x46: return b - 0x41 + 10
        case 0x61 ... 0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
