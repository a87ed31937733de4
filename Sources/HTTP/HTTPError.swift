// The HTTP module's error enum: every way a request can be malformed or over a limit,
// each case carrying what was found, and the status the server answers with
// (RFC 9110 §15; 413/414/431 per RFC 9110 §15.5.14-15 and RFC 6585 §5).

public enum HTTPError: Error, CustomStringConvertible, Equatable, Sendable {
    case invalidMethod(String)
    case invalidRequestLine(String)
    case invalidRequestTarget(String)
    case unsupportedVersion(String)
    case http2Preface
    case uriTooLong(limit: Int)
    case headerSectionTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    case invalidHeaderName(line: Int)
    case invalidHeaderValue(name: String)
    case obsoleteLineFolding(line: Int)
    case nulByte(offset: Int)
    case invalidLineEnding(offset: Int)
    case missingHost
    case duplicateHost
    case contentLengthWithTransferEncoding
    case duplicateContentLength([String])
    case invalidContentLength(String)
    case unsupportedTransferEncoding(String)
    case bodyTooLarge(declared: Int?, limit: Int)
    case invalidChunkSize(String)
    case chunkLineTooLong(limit: Int)
    case invalidChunkTerminator(offset: Int)

    /// The status a server answers this error with, before closing the connection.
    public var status: HTTPStatus {
        switch self {
        case .uriTooLong: return .uriTooLong
        case .headerSectionTooLarge, .tooManyHeaders: return .headerFieldsTooLarge
        case .bodyTooLarge: return .payloadTooLarge
        case .unsupportedVersion, .http2Preface: return .versionNotSupported
        case .unsupportedTransferEncoding: return .notImplemented
        default: return .badRequest
        }
    }

    public var description: String {
        switch self {
        case .invalidMethod(let m): return "invalid method token \"\(m)\""
        case .invalidRequestLine(let l): return "invalid request line \"\(l)\""
        case .invalidRequestTarget(let t): return "invalid request target \"\(t)\""
        case .unsupportedVersion(let v): return "unsupported HTTP version \"\(v)\" (HTTP/1.0 and HTTP/1.1 only)"
        case .http2Preface: return "HTTP/2 connection preface on an HTTP/1.1 port"
        case .uriTooLong(let limit): return "request line longer than the limit of \(limit) bytes"
        case .headerSectionTooLarge(let limit): return "header section larger than the limit of \(limit) bytes"
        case .tooManyHeaders(let limit): return "more header fields than the limit of \(limit)"
        case .invalidHeaderName(let line): return "invalid header field name on header line \(line)"
        case .invalidHeaderValue(let name): return "invalid bytes in the value of header \"\(name)\""
        case .obsoleteLineFolding(let line): return "obsolete line folding on header line \(line)"
        case .nulByte(let offset): return "NUL byte at offset \(offset) of the message head"
        case .invalidLineEnding(let offset): return "bare CR or LF at offset \(offset) (lines must end in CRLF)"
        case .missingHost: return "HTTP/1.1 request without a Host header"
        case .duplicateHost: return "more than one Host header"
        case .contentLengthWithTransferEncoding: return "both Content-Length and Transfer-Encoding (request smuggling guard)"
        case .duplicateContentLength(let v): return "duplicate or conflicting Content-Length values \(v)"
        case .invalidContentLength(let v): return "invalid Content-Length \"\(v)\""
        case .unsupportedTransferEncoding(let v): return "unsupported Transfer-Encoding \"\(v)\" (only chunked)"
        case let .bodyTooLarge(declared?, limit): return "Content-Length \(declared) exceeds the body limit of \(limit) bytes"
        case let .bodyTooLarge(nil, limit): return "chunked body larger than the limit of \(limit) bytes"
        case .invalidChunkSize(let s): return "invalid chunk size line \"\(s)\""
        case .chunkLineTooLong(let limit): return "chunk size line longer than \(limit) bytes"
        case .invalidChunkTerminator(let offset): return "chunk data not followed by CRLF at body offset \(offset)"
        }
    }
}
