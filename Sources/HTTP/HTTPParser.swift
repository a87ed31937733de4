// Incremental HTTP/1.1 request parser: bytes in, complete requests out, no I/O.
// Follows RFC 9112 (message syntax and framing) strictly where leniency enables
// request smuggling (§6.1, §6.3, §11.2): Content-Length with Transfer-Encoding, repeated
// Content-Length, bare CR/LF line endings, obs-fold and whitespace before the colon are
// all rejected. Limits on request-line, header section, header count and body size map
// to 414 / 431 / 413.
//
// Every error is deterministic with respect to how the bytes were split across `append`
// calls (the tests feed every input at every split point), so limit errors carry the
// limit, not the number of bytes seen so far. After an error the parser stays failed:
// the connection must answer and close.

/// Parser limits. Defaults are generous for a JSON API and small for attackers.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version), in bytes: bounds the URL (414).
    public var maxRequestLineBytes: Int
    /// Largest header section (all field lines with their CRLFs, plus trailers), in bytes (431).
    public var maxHeaderBytes: Int
    /// Most header fields (plus trailer fields) in one request (431).
    public var maxHeaderCount: Int
    /// Largest body after de-chunking, in bytes (413).
    public var maxBodyBytes: Int
    /// Longest chunk-size line including extensions (400).
    public var maxChunkLineBytes: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1 << 20, maxChunkLineBytes: Int = 1024) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}

/// The parsed head of a request whose body may still be arriving.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    /// Whether the client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool { headers.tokens("Expect").contains("100-continue") }
}

public struct HTTPParser: Sendable {
    private enum State: Sendable {
        case requestLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
        case failed(HTTPError)
    }

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    private var pos = 0                 // first unconsumed byte in `buffer`
    private var scanFrom = 0            // where the search for the next LF resumes
    private var streamBase = 0          // stream offset of buffer[0]
    private var messageStart = 0        // stream offset where the current message began
    private var state: State = .requestLine
    private var leadingEmptyLines = 0
    private var headerBytes = 0
    private var headerLines = 0
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var trailers = HTTPHeaders()

    public init(limits: HTTPParserLimits = HTTPParserLimits()) { self.limits = limits }

    /// Appends received bytes. Nothing is parsed until `nextRequest()`.
    public mutating func append<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The head of the request being received, once its header section is complete and
    /// while its body is still arriving (used to answer `Expect: 100-continue`).
    public var pendingHead: HTTPRequestHead? {
        switch state {
        case .fixedBody, .chunkSize, .chunkData, .chunkEnd, .trailers: return head
        default: return nil
        }
    }

    /// True when part of a request has been received but not all of it (a read timeout
    /// applies), false between requests (an idle timeout applies).
    public var isMidRequest: Bool {
        if case .requestLine = state { return pos < buffer.count }
        if case .failed = state { return false }
        return true
    }

    /// Parses the next complete request from the buffered bytes, or returns nil when more
    /// bytes are needed. Throws `HTTPError` on malformed input; the error is sticky.
    public mutating func nextRequest() throws -> HTTPRequest? {
        if case .failed(let e) = state { throw e }
        do {
            let r = try step()
            compact()
            return r
        } catch let e as HTTPError {
            state = .failed(e)
            throw e
        }
    }

    // MARK: - State machine

    private mutating func step() throws -> HTTPRequest? {
        while true {
            switch state {
            case .failed(let e):
                throw e
            case .requestLine:
                guard let line = try nextLine(limit: limits.maxRequestLineBytes, onOverflow: .uriTooLong(limit: limits.maxRequestLineBytes)) else { return nil }
                if line.isEmpty {
                    // RFC 9112 §2.2: ignore a few empty lines before the request line.
                    leadingEmptyLines += 1
                    if leadingEmptyLines > 4 { throw HTTPError.invalidRequestLine("") }
                    messageStart = streamBase + pos
                    continue
                }
                head = try parseRequestLine(line)
                state = .headers
            case .headers, .trailers:
                let inTrailers: Bool
                if case .trailers = state { inTrailers = true } else { inTrailers = false }
                let room = limits.maxHeaderBytes - headerBytes
                guard let line = try nextLine(limit: max(room - 2, -1), onOverflow: .headerSectionTooLarge(limit: limits.maxHeaderBytes)) else { return nil }
                headerBytes += line.count + 2
                if line.isEmpty {
                    if inTrailers { return finish() }
                    try beginBody()
                    if let done = maybeFinishEmptyBody() { return done }
                    continue
                }
                headerLines += 1
                if headerLines > limits.maxHeaderCount { throw HTTPError.tooManyHeaders(limit: limits.maxHeaderCount) }
                let (name, value) = try parseField(line, lineNumber: headerLines)
                if inTrailers { trailers.add(name, value) } else { head?.headers.add(name, value) }
            case .fixedBody(let remaining):
                let n = min(remaining, buffer.count - pos)
                body.append(contentsOf: buffer[pos ..< pos + n])
                pos += n
                if remaining - n > 0 { state = .fixedBody(remaining: remaining - n); return nil }
                return finish()
            case .chunkSize:
                guard let line = try nextLine(limit: limits.maxChunkLineBytes, onOverflow: .chunkLineTooLong(limit: limits.maxChunkLineBytes)) else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 { state = .trailers; continue }
                if size > limits.maxBodyBytes - body.count { throw HTTPError.bodyTooLarge(declared: nil, limit: limits.maxBodyBytes) }
                state = .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, buffer.count - pos)
                body.append(contentsOf: buffer[pos ..< pos + n])
                pos += n
                if remaining - n > 0 { state = .chunkData(remaining: remaining - n); return nil }
                state = .chunkEnd
            case .chunkEnd:
                // Chunk data must be followed by exactly CRLF; check byte by byte so the
                // error does not depend on how the bytes were split.
                guard pos < buffer.count else { return nil }
                guard buffer[pos] == 13 else { throw HTTPError.invalidChunkTerminator(offset: body.count) }
                guard pos + 1 < buffer.count else { return nil }
                guard buffer[pos + 1] == 10 else { throw HTTPError.invalidChunkTerminator(offset: body.count) }
                pos += 2
                state = .chunkSize
            }
        }
    }

    private mutating func finish() -> HTTPRequest? {
        guard var h = head else { return nil }
        // Absolute form (RFC 9112 §3.2.2): route on the origin form, and the target's
        // authority replaces any Host field.
        if let (authority, origin) = HTTPParser.splitAbsoluteForm(h.target) {
            h.target = origin
            h.headers.set("Host", authority)
        }
        let request = HTTPRequest(method: h.method, target: h.target, version: h.version,
                                  headers: h.headers, body: body, trailers: trailers)
        state = .requestLine
        head = nil
        body = []
        trailers = HTTPHeaders()
        headerBytes = 0
        headerLines = 0
        leadingEmptyLines = 0
        messageStart = streamBase + pos
        return request
    }

    private mutating func maybeFinishEmptyBody() -> HTTPRequest? {
        if case .fixedBody(0) = state { return finish() }
        return nil
    }

    /// Drops consumed bytes once they dominate the buffer, keeping appends amortized O(1).
    private mutating func compact() {
        guard pos > 0, pos >= 4096 || pos == buffer.count else { return }
        buffer.removeFirst(pos)
        streamBase += pos
        scanFrom -= pos
        pos = 0
    }

    // MARK: - Lines

    /// Returns the next CRLF-terminated line (without CRLF) or nil if incomplete. Rejects
    /// NUL, bare CR and bare LF as soon as they arrive. `limit` bounds the line content;
    /// a longer line throws `onOverflow` whether or not its end has arrived.
    ///
    /// Bytes are judged in stream order, each as it would be had it arrived alone, so the
    /// error is the same however the bytes were split: a line whose content passes `limit`
    /// fails at its first byte past the limit, even when a bad byte follows in the same read.
    private mutating func nextLine(limit: Int, onOverflow: HTTPError) throws -> ArraySlice<UInt8>? {
        // No room for even an empty line: too large, whatever comes next.
        if limit < 0 { throw onOverflow }
        var i = max(scanFrom, pos)
        while i < buffer.count {
            let b = buffer[i]
            if b == 0 { throw HTTPError.nulByte(offset: streamBase + i - messageStart) }
            if b == 10 { throw HTTPError.invalidLineEnding(offset: streamBase + i - messageStart) }
            if b == 13 {
                guard i + 1 < buffer.count else { break }
                guard buffer[i + 1] == 10 else { throw HTTPError.invalidLineEnding(offset: streamBase + i - messageStart) }
                let line = buffer[pos ..< i]
                if line.count > limit { throw onOverflow }
                pos = i + 2
                scanFrom = pos
                return line
            }
            if i - pos + 1 > limit { throw onOverflow }
            i += 1
        }
        scanFrom = i
        // Bytes so far, not counting a trailing CR that may start the CRLF.
        var pending = buffer.count - pos
        if pending > 0, buffer[buffer.count - 1] == 13 { pending -= 1 }
        if pending > limit { throw onOverflow }
        return nil
    }

    // MARK: - Request line (RFC 9112 §3)

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws -> HTTPRequestHead {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        let text = String(decoding: line, as: UTF8.self)
        if text == "PRI * HTTP/2.0" { throw HTTPError.http2Preface }
        guard parts.count == 3 else { throw HTTPError.invalidRequestLine(text) }
        let (m, t, v) = (parts[0], parts[1], parts[2])
        guard !m.isEmpty, m.allSatisfy(isTokenChar) else { throw HTTPError.invalidMethod(String(decoding: m, as: UTF8.self)) }
        let target = String(decoding: t, as: UTF8.self)
        guard !t.isEmpty, t.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              t.first == UInt8(ascii: "/") || target == "*" || HTTPParser.splitAbsoluteForm(target) != nil
        else { throw HTTPError.invalidRequestTarget(target) }
        let version = try parseVersion(v)
        return HTTPRequestHead(method: HTTPMethod(String(decoding: m, as: UTF8.self)), target: target,
                               version: version, headers: HTTPHeaders())
    }

    /// "http://host:8080/a?b" -> ("host:8080", "/a?b"); "https://host" -> ("host", "/").
    /// nil unless the target is absolute-form with an http(s) scheme and a non-empty authority.
    static func splitAbsoluteForm(_ target: String) -> (authority: String, origin: String)? {
        let lower = target.prefix(8).lowercased()
        let schemeLength = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return nil }
        let rest = target.dropFirst(schemeLength)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<end])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let path = rest[end...]
        return (authority, path.isEmpty ? "/" : path.first == "?" ? "/" + path : String(path))
    }

    private func parseVersion(_ v: ArraySlice<UInt8>) throws -> HTTPVersion {
        let s = Array(v)
        let text = String(decoding: v, as: UTF8.self)
        guard s.count == 8, text.hasPrefix("HTTP/"), isDigit(s[5]), s[6] == UInt8(ascii: "."), isDigit(s[7])
        else { throw HTTPError.invalidRequestLine(text) }
        let version = HTTPVersion(major: Int(s[5] - 48), minor: Int(s[7] - 48))
        guard version == .http1_1 || version == .http1_0 else { throw HTTPError.unsupportedVersion(text) }
        return version
    }

    // MARK: - Field lines (RFC 9112 §5)

    private func parseField(_ line: ArraySlice<UInt8>, lineNumber: Int) throws -> (String, String) {
        guard let first = line.first else { throw HTTPError.invalidHeaderName(line: lineNumber) }
        if first == 32 || first == 9 { throw HTTPError.obsoleteLineFolding(line: lineNumber) }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPError.invalidHeaderName(line: lineNumber) }
        let nameBytes = line[line.startIndex ..< colon]
        // Whitespace between name and colon must be rejected (§5.1): it smuggles names.
        guard !nameBytes.isEmpty, nameBytes.allSatisfy(isTokenChar) else { throw HTTPError.invalidHeaderName(line: lineNumber) }
        let name = String(decoding: nameBytes, as: UTF8.self)
        let valueBytes = line[(colon + 1)...]
        for b in valueBytes where !(b == 9 || (b >= 0x20 && b != 0x7F)) {
            throw HTTPError.invalidHeaderValue(name: name)
        }
        return (name, trimOWS(Substring(String(decoding: valueBytes, as: UTF8.self))))
    }

    // MARK: - Framing (RFC 9112 §6)

    private mutating func beginBody() throws {
        guard let h = head else { return }
        let hosts = h.headers.values("Host")
        if hosts.count > 1 { throw HTTPError.duplicateHost }
        if h.version == .http1_1 && hosts.isEmpty { throw HTTPError.missingHost }

        let te = h.headers.values("Transfer-Encoding")
        let cl = h.headers.values("Content-Length")
        if !te.isEmpty {
            if !cl.isEmpty { throw HTTPError.contentLengthWithTransferEncoding }
            let codings = h.headers.tokens("Transfer-Encoding")
            // Only plain `chunked`: other codings are not implemented, and an HTTP/1.0
            // message with Transfer-Encoding is faulty (§6.1).
            guard codings == ["chunked"], h.version == .http1_1 else {
                throw HTTPError.unsupportedTransferEncoding(te.joined(separator: ", "))
            }
            state = .chunkSize
            return
        }
        let items = cl.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { trimOWS($0) }
        if items.count > 1 { throw HTTPError.duplicateContentLength(items) }
        guard let text = items.first else { state = .fixedBody(remaining: 0); return }
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit), let n = Int(text) else {
            throw HTTPError.invalidContentLength(text)
        }
        if n > limits.maxBodyBytes { throw HTTPError.bodyTooLarge(declared: n, limit: limits.maxBodyBytes) }
        state = .fixedBody(remaining: n)
    }

    /// `chunk-size [ chunk-ext ]`: 1-15 hex digits, then optionally BWS and `;` extensions.
    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws -> Int {
        let text = String(decoding: line, as: UTF8.self)
        var value = 0
        var digits = 0
        var i = line.startIndex
        while i < line.endIndex, let d = hexValue(line[i]) {
            digits += 1
            if digits > 15 { throw HTTPError.invalidChunkSize(text) }
            value = value * 16 + d
            i += 1
        }
        guard digits > 0 else { throw HTTPError.invalidChunkSize(text) }
        var rest = line[i...]
        while let f = rest.first, f == 32 || f == 9 { rest = rest.dropFirst() }
        if let f = rest.first {
            guard f == UInt8(ascii: ";"), rest.allSatisfy({ $0 == 9 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw HTTPError.invalidChunkSize(text)
            }
        }
        return value
    }
}

// MARK: - Character classes (RFC 9110 §5.6.2)

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

@inline(__always) func hexValue(_ b: UInt8) -> Int? {
    switch b {
    case 48 ... 57: return Int(b - 48)
    case 65 ... 70: return Int(b - 55)
    case 97 ... 102: return Int(b - 87)
    default: return nil
    }
}

/// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
@inline(__always) func isTokenChar(_ b: UInt8) -> Bool {
    switch b {
    case 48 ... 57, 65 ... 90, 97 ... 122: return true
    case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
    default: return false
    }
}
