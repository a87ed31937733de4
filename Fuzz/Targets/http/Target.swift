// fuzz-http: the HTTP/1.1 request parser (HTTP.HTTPParser), chunked bodies and
// pipelining included. The input is a byte stream from a client. It is parsed under the
// default limits and under small ones (so that the 413/414/431 paths are reached), each
// three ways: in one append, split in two at a point derived from the input, and one
// byte at a time (inputs up to 512 bytes, to keep the rate up). Invariants:
//   - the three feedings give the same requests, the same error and the same
//     mid-request state (the parser's errors do not depend on how bytes arrive);
//   - an error is sticky;
//   - every request is well framed: body length = Content-Length when that is present,
//     Transfer-Encoding only as `chunked` on HTTP/1.1 and never with Content-Length, an
//     empty body when neither is present, trailers only on chunked requests, every
//     limit respected, one Host on HTTP/1.1, the method a token, the target visible
//     ASCII, names tokens and values trimmed, without CR, LF or NUL;
//   - serializing a request and parsing it again gives the same request.
import FuzzSupport
import HTTP

let smallLimits = HTTPParserLimits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 6,
                                   maxBodyBytes: 96, maxChunkLineBytes: 24)
let limitSets = [HTTPParserLimits(), smallLimits]

struct Outcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPError?
    var midRequest = false
}

/// Feeds `pieces` in order, draining complete requests after each append.
func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTPParserLimits) -> Outcome {
    var parser = HTTPParser(limits: limits)
    var out = Outcome()
    feeding: for piece in pieces {
        parser.append(piece)
        while true {
            do {
                guard let r = try parser.nextRequest() else { break }
                out.requests.append(r)
                _ = parser.pendingHead
            } catch let e as HTTPError {
                out.error = e
                // Sticky: asking again gives the same error.
                do {
                    _ = try parser.nextRequest()
                    require(false, "no error after \(e)")
                } catch let again as HTTPError {
                    require(again == e, "error changed from \(e) to \(again)")
                } catch {
                    require(false, "non-HTTPError \(error)")
                }
                break feeding
            } catch {
                require(false, "non-HTTPError \(error)")
            }
        }
    }
    if out.error == nil {
        out.midRequest = parser.isMidRequest
        if let head = parser.pendingHead { _ = head.expectsContinue }
    }
    return out
}

func isToken(_ b: UInt8) -> Bool {
    switch b {
    case 48 ... 57, 65 ... 90, 97 ... 122: return true
    case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
    default: return false
    }
}

func checkFraming(_ r: HTTPRequest, limits: HTTPParserLimits) {
    let m = Array(r.method.rawValue.utf8), t = Array(r.target.utf8)
    require(!m.isEmpty && m.allSatisfy(isToken), "method \(r.method)")
    require(!t.isEmpty && t.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target \(r.target)")
    require(t.first == UInt8(ascii: "/") || r.target == "*" || r.target.hasPrefix("http://") || r.target.hasPrefix("https://"),
            "target form \(r.target)")
    require(m.count + t.count + 10 <= limits.maxRequestLineBytes, "request line over its limit")
    require(r.version == .http1_1 || r.version == .http1_0, "version \(r.version)")
    require(r.headers.count + r.trailers.count <= limits.maxHeaderCount, "header count over its limit")
    var fieldBytes = 0
    for (name, value) in Array(r.headers) + Array(r.trailers) {
        require(!name.isEmpty && name.utf8.allSatisfy(isToken), "header name \(name)")
        require(!value.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "CR/LF/NUL in a value of \(name)")
        require(value.utf8.first.map { $0 != 32 && $0 != 9 } ?? true, "untrimmed value of \(name)")
        require(value.utf8.last.map { $0 != 32 && $0 != 9 } ?? true, "untrimmed value of \(name)")
        fieldBytes += name.utf8.count + 3
    }
    // Values may only grow when invalid UTF-8 is replaced, so the names bound the section from below.
    require(fieldBytes <= limits.maxHeaderBytes + 2, "header section over its limit")
    let hosts = r.headers.values("Host")
    require(hosts.count <= 1, "\(hosts.count) Host fields")
    if r.version == .http1_1 { require(hosts.count == 1, "HTTP/1.1 without Host") }
    require(r.body.count <= limits.maxBodyBytes, "body of \(r.body.count) over \(limits.maxBodyBytes)")

    let cl = r.headers.values("Content-Length")
    let te = r.headers.values("Transfer-Encoding")
    if !te.isEmpty {
        require(cl.isEmpty, "Content-Length with Transfer-Encoding")
        require(r.headers.tokens("Transfer-Encoding") == ["chunked"], "coding \(te)")
        require(r.version == .http1_1, "Transfer-Encoding on HTTP/1.0")
    } else {
        require(r.trailers.count == 0, "trailers without chunked")
        if cl.isEmpty {
            require(r.body.isEmpty, "a body of \(r.body.count) without framing")
        } else {
            require(cl.count == 1, "\(cl.count) Content-Length fields")
            require(Int(cl[0]) == r.body.count, "Content-Length \(cl[0]) but a body of \(r.body.count)")
        }
    }
    _ = (r.path, r.query, r.keepAlive, r.bodyText)
}

/// The request as bytes a client could send (chunked requests re-chunked in one chunk).
func serialize(_ r: HTTPRequest) -> [UInt8] {
    var out = Array("\(r.method.rawValue) \(r.target) \(r.version)\r\n".utf8)
    for (name, value) in r.headers { out += Array("\(name):\(value)\r\n".utf8) }
    out += Array("\r\n".utf8)
    if r.headers.values("Transfer-Encoding").isEmpty {
        out += r.body
    } else {
        if !r.body.isEmpty { out += Array((String(r.body.count, radix: 16) + "\r\n").utf8) + r.body + Array("\r\n".utf8) }
        out += Array("0\r\n".utf8)
        for (name, value) in r.trailers { out += Array("\(name):\(value)\r\n".utf8) }
        out += Array("\r\n".utf8)
    }
    return out
}

/// One input (libFuzzer's LLVMFuzzerTestOneInput; main.swift hands it to the driver).
func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let cut = splitPoint(bytes)
    for limits in limitSets {
        let whole = parse([bytes[...]], limits: limits)
        let split = parse([bytes[..<cut], bytes[cut...]], limits: limits)
        require(whole == split, "split at \(cut) changed the outcome: \(whole.error.map { "\($0)" } ?? "ok") vs \(split.error.map { "\($0)" } ?? "ok"), \(whole.requests.count) vs \(split.requests.count) requests")
        if bytes.count <= 512 {
            let bytewise = parse(bytes.indices.map { bytes[$0 ..< $0 + 1] }, limits: limits)
            require(whole == bytewise, "byte-wise feeding changed the outcome: \(whole.error.map { "\($0)" } ?? "ok") vs \(bytewise.error.map { "\($0)" } ?? "ok")")
        }
        // Values can grow (invalid UTF-8 becomes U+FFFD) and "name:value" can differ in
        // length from what was sent, so the round trip runs under roomier limits.
        let roomy = HTTPParserLimits(maxRequestLineBytes: limits.maxRequestLineBytes * 4, maxHeaderBytes: limits.maxHeaderBytes * 4,
                                     maxHeaderCount: limits.maxHeaderCount, maxBodyBytes: limits.maxBodyBytes,
                                     maxChunkLineBytes: limits.maxChunkLineBytes)
        for r in whole.requests {
            checkFraming(r, limits: limits)
            let again = parse([serialize(r)[...]], limits: roomy)
            require(again.error == nil, "re-serialized request fails: \(again.error.map { "\($0)" } ?? "")")
            require(again.requests == [r] && !again.midRequest, "re-serialized request differs")
        }
    }
    return 0
}
