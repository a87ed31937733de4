// A minimal blocking HTTP/1.1 client for the end-to-end test: one request per
// connection (`Connection: close`), the response read to EOF. Written on POSIX
// sockets so the test needs neither curl nor FoundationNetworking (libcurl).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct TinyHTTPResponse {
    var status: Int
    var headers: [(String, String)]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as a JSON object (nil when it is not one).
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

enum TinyHTTPError: Error, CustomStringConvertible {
    case connect(port: Int, errno: Int32)
    case io(String)
    case malformed(String)
    var description: String {
        switch self {
        case .connect(let port, let e): "connect to 127.0.0.1:\(port) failed: \(String(cString: strerror(e)))"
        case .io(let what): "socket I/O: \(what)"
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}

enum TinyHTTPClient {
    /// Sends one request to 127.0.0.1:`port` and returns the whole response.
    /// Bodies are sent with Content-Length; chunked responses are de-chunked.
    static func request(port: Int, method: String, path: String, body: String? = nil,
                        headers: [(String, String)] = [], timeout: Double = 30) throws -> TinyHTTPResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TinyHTTPError.io("socket(): errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TinyHTTPError.connect(port: port, errno: errno) }

        let payload = Array((body ?? "").utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TinyHTTPError.io("send: errno \(errno)") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw TinyHTTPError.io("recv: errno \(errno) (timeout \(timeout) s?)") }
            response += buffer[0 ..< n]
        }
        return try parse(response)
    }

    static func parse(_ raw: [UInt8]) throws -> TinyHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0 ..< max(0, raw.count - 3)).first(where: { Array(raw[$0 ..< $0 + 4]) == separator }) else {
            throw TinyHTTPError.malformed("no end of header section in \(raw.count) bytes")
        }
        let lines = String(decoding: raw[0 ..< end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TinyHTTPError.malformed("status line '\(lines[0])'") }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var body = Array(raw[(end + 4)...])
        if headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = try dechunk(body)
        }
        return TinyHTTPResponse(status: status, headers: headers, body: Data(body))
    }

    static func dechunk(_ raw: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < raw.count {
            guard let lineEnd = (i ..< raw.count - 1).first(where: { raw[$0] == 13 && raw[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: raw[i ..< lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw TinyHTTPError.malformed("chunk size '\(sizeText)'")
            }
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= raw.count else { throw TinyHTTPError.malformed("chunk past the end") }
            out += raw[start ..< start + size]
            i = start + size + 2
        }
        return out
    }
}
