// Inputs found by the coverage-guided fuzzer (Fuzz/, docs/fuzzing.md), each a failure
// that fuzz-http reported, kept as a test of the normal suite.
import Testing
@testable import HTTP

@Suite("HTTP parser: fuzzer findings")
struct HTTPFuzzRegressionTests {
    /// fuzz-http crash-0594c698 / crash-71cd0e20: a request line one byte over the limit,
    /// then a bare CR. Fed in one piece the parser saw the bare CR (400 "bare CR or LF");
    /// fed byte by byte it saw the overlong line first (414). The error must not depend
    /// on how the bytes arrive: the 65th content byte is already over the limit.
    @Test("an overlong line followed by a bad line ending fails the same way however it is split")
    func overlongLineThenBareCR() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 64)
        #expect(parseError(String(repeating: "n", count: 65) + "\r#", limits: limits) == .uriTooLong(limit: 64))
        #expect(parseError(String(repeating: "n", count: 16) + String(repeating: "c", count: 20) + String(repeating: "n", count: 29) + "\r#",
                           limits: limits) == .uriTooLong(limit: 64))
        // Within the limit, the bare CR is what fails.
        #expect(parseError(String(repeating: "n", count: 64) + "\r#", limits: limits) == .invalidLineEnding(offset: 64))
    }

    @Test("a header line over the section limit, then a NUL, fails as 431 however it is split")
    func overlongHeaderThenNUL() {
        let limits = HTTPParserLimits(maxHeaderBytes: 32)
        let input = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 40) + "\u{0}\r\n\r\n"
        #expect(parseError(input, limits: limits) == .headerSectionTooLarge(limit: 32))
    }

    @Test("a header section with no room left for its final CRLF fails as 431 before the next byte is read")
    func noRoomLeftThenNUL() {
        // "Host: abcd" + CRLF is exactly the 12-byte limit: even an empty line cannot follow.
        let limits = HTTPParserLimits(maxHeaderBytes: 12)
        #expect(parseError("GET / HTTP/1.1\r\nHost: abcd\r\n\u{0}", limits: limits) == .headerSectionTooLarge(limit: 12))
        #expect(parseError("GET / HTTP/1.1\r\nHost: abcd\r\n\r\n", limits: limits) == .headerSectionTooLarge(limit: 12))
    }
}
