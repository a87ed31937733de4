// Test helpers: feed raw CRLF byte strings to the parser whole, at every split point,
// and byte by byte, and require the same outcome every time.
import Testing
@testable import HTTP

enum ParseOutcome: Equatable, CustomStringConvertible {
    case requests([HTTPRequest], incompleteTail: Bool)
    case failed(HTTPError, after: [HTTPRequest])

    var description: String {
        switch self {
        case let .requests(r, tail): return "requests(\(r.map { "\($0.method) \($0.target) body=\($0.body.count)" }), tail: \(tail))"
        case let .failed(e, after): return "failed(\(e), after: \(after.count))"
        }
    }
}

/// Feeds `chunks` in order, draining requests after each.
func feed(_ chunks: [[UInt8]], limits: HTTPParserLimits = HTTPParserLimits()) -> ParseOutcome {
    var parser = HTTPParser(limits: limits)
    var out: [HTTPRequest] = []
    for chunk in chunks {
        parser.append(chunk)
        do {
            while let r = try parser.nextRequest() { out.append(r) }
        } catch let e as HTTPError {
            return .failed(e, after: out)
        } catch {
            Issue.record("unexpected error type \(error)")
            return .failed(.invalidRequestLine("?"), after: out)
        }
    }
    return .requests(out, incompleteTail: parser.isMidRequest)
}

/// The outcome of parsing `input`, after checking that every two-way split and the
/// byte-by-byte feed give exactly the same outcome.
func parseEverySplit(_ input: String, limits: HTTPParserLimits = HTTPParserLimits(),
                     sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    let bytes = Array(input.utf8)
    return parseEverySplit(bytes: bytes, limits: limits, sourceLocation: sourceLocation)
}

func parseEverySplit(bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(),
                     sourceLocation: SourceLocation = #_sourceLocation) -> ParseOutcome {
    let whole = feed([bytes], limits: limits)
    for k in 0 ... bytes.count {
        let split = feed([Array(bytes[..<k]), Array(bytes[k...])], limits: limits)
        if split != whole {
            Issue.record("split at \(k) gave \(split), whole gave \(whole)", sourceLocation: sourceLocation)
            return whole
        }
    }
    let single = feed(bytes.map { [$0] }, limits: limits)
    #expect(single == whole, "byte-by-byte feed differs", sourceLocation: sourceLocation)
    return whole
}

/// The single error `input` produces (at every split point), or nil.
func parseError(_ input: String, limits: HTTPParserLimits = HTTPParserLimits(),
                sourceLocation: SourceLocation = #_sourceLocation) -> HTTPError? {
    if case .failed(let e, _) = parseEverySplit(input, limits: limits, sourceLocation: sourceLocation) { return e }
    return nil
}

/// The requests `input` produces (at every split point); records an issue on error.
func parseRequests(_ input: String, limits: HTTPParserLimits = HTTPParserLimits(),
                   sourceLocation: SourceLocation = #_sourceLocation) -> [HTTPRequest] {
    switch parseEverySplit(input, limits: limits, sourceLocation: sourceLocation) {
    case .requests(let r, _): return r
    case let .failed(e, _):
        Issue.record("unexpected parse error \(e)", sourceLocation: sourceLocation)
        return []
    }
}
