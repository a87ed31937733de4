// Response serialization to exact HTTP/1.1 bytes (RFC 9112 §4, §6.3). The serializer
// owns the framing headers: it always writes `Content-Length` from the body it sends
// (replacing any value a handler set) and `Connection: close` when the connection will
// close, so framing can never disagree with the bytes on the wire.

import JSON

public enum HTTPSerializer {
    /// Serializes `response`. `keepAlive` false adds `Connection: close`. For a HEAD
    /// request the body is omitted but `Content-Length` still describes it (RFC 9110 §9.3.2).
    public static func serialize(_ response: HTTPResponse, keepAlive: Bool, headRequest: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + response.body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        JSONNumber.write(Int64(response.status.code), into: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: response.status.reason.utf8)
        out.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers {
            if asciiEqualsIgnoringCase(name, "Content-Length") || asciiEqualsIgnoringCase(name, "Connection")
                || asciiEqualsIgnoringCase(name, "Transfer-Encoding") { continue }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            // Field values never carry CR/LF: a handler echoing user data cannot split the response.
            for byte in value.utf8 where byte != 13 && byte != 10 && byte != 0 { out.append(byte) }
            out.append(contentsOf: "\r\n".utf8)
        }
        if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
        let status = response.status.code
        if status >= 200 && status != 204 && status != 304 {
            out.append(contentsOf: "Content-Length: ".utf8)
            JSONNumber.write(Int64(response.body.count), into: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !headRequest && status != 204 && status != 304 { out.append(contentsOf: response.body) }
        return out
    }

    /// The interim `100 Continue` response (RFC 9110 §15.2.1).
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
