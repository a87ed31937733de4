// HTTPParser: well-formed framing (Content-Length, chunked with trailers, keep-alive,
// pipelining) and adversarial input (smuggling, bad chunk sizes, NUL, bare CR/LF,
// overlong lines, invalid methods and versions). Every input is fed at every split point.
import Testing
@testable import HTTP

@Suite("HTTP/1.1 request parser")
struct ParserTests {
    @Test("parses a GET with headers, trimming OWS around values")
    func parsesSimpleGet() throws {
        let reqs = parseRequests("GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:   spaced value \t\r\n\r\n")
        let r = try #require(reqs.first)
        #expect(reqs.count == 1)
        #expect(r.method == .get)
        #expect(r.path == "/healthz")
        #expect(r.query == "x=1")
        #expect(r.version == .http1_1)
        #expect(r.headers["x-thing"] == "spaced value")
        #expect(r.body.isEmpty)
        #expect(r.keepAlive)
    }

    @Test("reads a Content-Length body exactly, leaving the next request intact")
    func contentLengthBody() {
        let reqs = parseRequests("POST /recommend HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(reqs.count == 2)
        #expect(reqs.first?.body == Array("hello".utf8))
        #expect(reqs.last?.target == "/")
    }

    @Test("decodes a chunked body with extensions and keeps trailers apart from headers")
    func chunkedWithTrailers() throws {
        let input = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5;name=val\r\nhello\r\nA \r\n, world!!!\r\n0\r\nX-Checksum: 42\r\n\r\n"
        let r = try #require(parseRequests(input).first)
        #expect(r.bodyText == "hello, world!!!")
        #expect(r.trailers["X-Checksum"] == "42")
        #expect(r.headers["X-Checksum"] == nil)
    }

    @Test("parses three pipelined requests from one buffer, in order")
    func pipelining() {
        let one = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        let two = "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
        let three = "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let reqs = parseRequests(one + two + three)
        #expect(reqs.map(\.target) == ["/a", "/b", "/c"])
        #expect(reqs.map(\.keepAlive) == [true, true, false])
    }

    @Test("ignores an extra leading CRLF before the request line (RFC 9112 §2.2)")
    func extraLeadingCRLF() {
        let reqs = parseRequests("GET /a HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(reqs.map(\.target) == ["/a", "/b"])
    }

    @Test("HTTP/1.0 closes unless keep-alive is asked for, and needs no Host")
    func http10() {
        let reqs = parseRequests("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(reqs.map(\.keepAlive) == [false, true])
    }

    @Test("reports an incomplete request as mid-request, and a clean boundary as idle")
    func midRequestState() {
        #expect(feed([Array("GET / HTTP/1.1\r\nHo".utf8)]) == .requests([], incompleteTail: true))
        if case .requests(let r, let tail) = feed([Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)]) {
            #expect(r.count == 1 && !tail)
        } else { Issue.record("expected a request") }
    }

    @Test("exposes the pending head so the server can answer Expect: 100-continue")
    func pendingHeadForContinue() throws {
        var p = HTTPParser()
        p.append(Array("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8))
        #expect(try p.nextRequest() == nil)
        #expect(p.pendingHead?.expectsContinue == true)
        p.append(Array("abc".utf8))
        #expect(try p.nextRequest()?.bodyText == "abc")
        #expect(p.pendingHead == nil)
    }

    // MARK: - Smuggling and framing

    @Test("refuses Content-Length together with Transfer-Encoding", arguments: [
        "Transfer-Encoding: chunked\r\nContent-Length: 5",
        "Content-Length: 5\r\nTransfer-Encoding: chunked",
        "Content-Length: 5\r\nTransfer-Encoding: gzip, chunked",
    ])
    func refusesContentLengthWithTransferEncoding(fields: String) {
        let e = parseError("POST /x HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n0\r\n\r\n")
        #expect(e == .contentLengthWithTransferEncoding)
        #expect(e?.status == .badRequest)
    }

    @Test("refuses duplicate or conflicting Content-Length", arguments: [
        "Content-Length: 3\r\nContent-Length: 3", "Content-Length: 3\r\nContent-Length: 4", "Content-Length: 3, 3",
    ])
    func refusesDuplicateContentLength(fields: String) {
        guard case .duplicateContentLength = parseError("POST /x HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\nabc") else {
            Issue.record("expected duplicateContentLength"); return
        }
    }

    @Test("refuses malformed Content-Length values", arguments: ["-1", "+3", "3a", "", " ", "0x10", "99999999999999999999"])
    func refusesBadContentLength(value: String) {
        guard case .invalidContentLength = parseError("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n") else {
            Issue.record("expected invalidContentLength for \"\(value)\""); return
        }
    }

    @Test("refuses transfer codings other than plain chunked with 501, and chunked on HTTP/1.0")
    func refusesOtherTransferCodings() {
        let gzip = parseError("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n")
        #expect(gzip == .unsupportedTransferEncoding("gzip"))
        #expect(gzip?.status == .notImplemented)
        #expect(parseError("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") != nil)
        #expect(parseError("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") != nil)
    }

    @Test("refuses bad chunk sizes", arguments: ["zz", "", "-1", "1 2", "0x5", "1000000000000000", " 5", "5\u{7F}"])
    func refusesBadChunkSizes(line: String) {
        let e = parseError("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(line)\r\nhello\r\n0\r\n\r\n")
        guard case .invalidChunkSize = e else { Issue.record("expected invalidChunkSize for \"\(line)\", got \(String(describing: e))"); return }
    }

    @Test("refuses chunk data not followed by CRLF")
    func refusesMissingChunkTerminator() {
        let e = parseError("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhelloo\r\n0\r\n\r\n")
        #expect(e == .invalidChunkTerminator(offset: 3))
    }

    @Test("refuses an overlong chunk-size line")
    func refusesOverlongChunkLine() {
        let ext = String(repeating: "x", count: 2000)
        let e = parseError("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\(ext)\r\nhello\r\n0\r\n\r\n")
        #expect(e == .chunkLineTooLong(limit: 1024))
    }

    // MARK: - Limits

    @Test("answers an overlong URL with 414")
    func uriTooLong() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 64)
        let ok = "GET /\(String(repeating: "a", count: 64 - 14)) HTTP/1.1\r\nHost: a\r\n\r\n"  // exactly 64 bytes of request line
        #expect(parseRequests(ok, limits: limits).count == 1)
        let long = "GET /\(String(repeating: "a", count: 65 - 14)) HTTP/1.1\r\nHost: a\r\n\r\n"
        let e = parseError(long, limits: limits)
        #expect(e == .uriTooLong(limit: 64))
        #expect(e?.status == .uriTooLong)
    }

    @Test("answers an oversized header section or too many fields with 431")
    func headerLimits() {
        let limits = HTTPParserLimits(maxHeaderBytes: 100, maxHeaderCount: 5)
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "b", count: 120))\r\n\r\n"
        #expect(parseError(big, limits: limits) == .headerSectionTooLarge(limit: 100))
        let many = "GET / HTTP/1.1\r\nHost: a\r\n" + (1 ... 5).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        let e = parseError(many, limits: limits)
        #expect(e == .tooManyHeaders(limit: 5))
        #expect(e?.status == .headerFieldsTooLarge)
        let fits = "GET / HTTP/1.1\r\nHost: a\r\n" + (1 ... 4).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        #expect(parseRequests(fits, limits: limits).count == 1)
    }

    @Test("answers an oversized body with 413, for Content-Length before reading it and for chunked as it grows")
    func bodyLimits() {
        let limits = HTTPParserLimits(maxBodyBytes: 10)
        let e = parseError("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits)
        #expect(e == .bodyTooLarge(declared: 11, limit: 10))
        #expect(e?.status == .payloadTooLarge)
        let chunked = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"
        #expect(parseError(chunked, limits: limits) == .bodyTooLarge(declared: nil, limit: 10))
        #expect(parseRequests("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits).count == 1)
    }

    // MARK: - Bytes and syntax

    @Test("refuses a NUL byte in the head")
    func refusesNul() {
        let e = parseError("GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n")
        #expect(e == .nulByte(offset: 23))
    }

    @Test("refuses bare LF and bare CR line endings", arguments: [
        "GET / HTTP/1.1\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\n\n",
    ])
    func refusesBareLineEndings(input: String) {
        guard case .invalidLineEnding = parseError(input) else { Issue.record("expected invalidLineEnding"); return }
    }

    @Test("refuses invalid method tokens", arguments: ["G@T", "GE(T", "\"GET\"", "GET{}"])
    func refusesInvalidMethods(method: String) {
        #expect(parseError("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n") == .invalidMethod(method))
    }

    @Test("refuses malformed request lines, including HTTP/0.9", arguments: [
        "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra", "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/11.1",
    ])
    func refusesBadRequestLines(line: String) {
        guard case .invalidRequestLine = parseError("\(line)\r\nHost: a\r\n\r\n") else {
            Issue.record("expected invalidRequestLine for \"\(line)\""); return
        }
    }

    @Test("answers unsupported versions and the HTTP/2 preface with 505")
    func refusesOtherVersions() {
        #expect(parseError("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == .unsupportedVersion("HTTP/2.0"))
        #expect(parseError("GET / HTTP/0.9\r\n\r\n")?.status == .versionNotSupported)
        let preface = parseError("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        #expect(preface == .http2Preface)
        #expect(preface?.status == .versionNotSupported)
    }

    @Test("reads the absolute form as its origin form, the authority replacing Host (RFC 9112 §3.2.2)", arguments: [
        ("http://example.test:8080/hello?x=1", "/hello?x=1", "example.test:8080"),
        ("HTTPS://Example.test", "/", "Example.test"),
        ("http://h?q", "/?q", "h"),
    ])
    func absoluteForm(target: String, origin: String, host: String) throws {
        guard case let .requests(requests, false) = parseEverySplit("GET \(target) HTTP/1.1\r\nHost: stale\r\n\r\n") else {
            Issue.record("expected one complete request"); return
        }
        let request = try #require(requests.first)
        #expect(request.target == origin)
        #expect(request.headers.values("Host") == [host])
    }

    @Test("refuses invalid request targets", arguments: ["foo", "/a\u{7F}b", "/é", "http://", "http://user@host/", "ftp://h/"])
    func refusesBadTargets(target: String) {
        guard case .invalidRequestTarget = parseError("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") else {
            Issue.record("expected invalidRequestTarget"); return
        }
    }

    @Test("refuses invalid header names, whitespace before the colon and obs-fold", arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\nBad Name: v\r\n\r\n", HTTPError.invalidHeaderName(line: 2)),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A : v\r\n\r\n", HTTPError.invalidHeaderName(line: 2)),
        ("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", HTTPError.invalidHeaderName(line: 2)),
        ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", HTTPError.invalidHeaderName(line: 2)),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: v\r\n  folded\r\n\r\n", HTTPError.obsoleteLineFolding(line: 3)),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-A: v\u{1}w\r\n\r\n", HTTPError.invalidHeaderValue(name: "X-A")),
    ])
    func refusesBadFields(input: String, expected: HTTPError) {
        #expect(parseError(input) == expected)
    }

    @Test("requires exactly one Host on HTTP/1.1")
    func hostRules() {
        #expect(parseError("GET / HTTP/1.1\r\n\r\n") == .missingHost)
        #expect(parseError("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == .duplicateHost)
    }

    @Test("stays failed after an error, even if valid bytes follow")
    func errorsAreSticky() {
        var p = HTTPParser()
        p.append(Array("GET / HTTP/9.9\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPError.self) { try p.nextRequest() }
        p.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPError.self) { try p.nextRequest() }
    }

    @Test("keeps binary body bytes, including NUL, untouched")
    func binaryBody() {
        var bytes = Array("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n".utf8)
        bytes += [0, 13, 10, 255]
        guard case .requests(let r, _) = parseEverySplit(bytes: bytes) else { Issue.record("parse failed"); return }
        #expect(r.first?.body == [0, 13, 10, 255])
    }
}
