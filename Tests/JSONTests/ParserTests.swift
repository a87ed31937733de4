// The strict parser: round trips, every refusal with its byte offset, the depth bound,
// exact numbers, and where members were found.
import JSON
import Testing

@Suite("JSON parser")
struct ParserTests {
    @Test("parses and re-serializes JSON deterministically")
    func roundTrip() throws {
        let text = #"{"a":[1,2.5,-3e2,true,false,null],"s":"q\"\\\n\u00e9\ud83d\ude00","o":{}}"#
        let v = try JSONValue.parse(text)
        #expect(v["a"] == .array([.number(1), .number(2.5), .number(-300), .bool(true), .bool(false), .null]))
        #expect(v["s"] == .string("q\"\\\né😀"))
        // Numbers keep the text they were written with.
        #expect(v.serialized() == #"{"a":[1,2.5,-3e2,true,false,null],"s":"q\"\\\né😀","o":{}}"#)
    }

    @Test("rejects malformed JSON with the byte offset", arguments: [
        (#"{"a":1,}"#, 7), (#"{"a":1 "b":2}"#, 7), (#"[01]"#, 1), (#"{"a":1,"a":2}"#, 10), (#""\ud800""#, 7), ("[1] x", 4),
        ("[1e400]", 1), ("[tru]", 1), (#"{"a" 1}"#, 5), ("", 0), (#""abc"#, 4),
    ])
    func rejects(text: String, offset: Int) {
        #expect(throws: JSONError.self, "\(text)") { _ = try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch let e as JSONError {
            #expect(e.offset == offset, "\(text): \(e)")
            #expect(e.description.hasPrefix("invalid JSON at byte \(offset): "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a control character inside a string is refused where it stands")
    func controlCharacter() {
        #expect(throws: JSONError.syntax(reason: "control character in string", offset: 3)) {
            _ = try JSONValue.parse([UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "a"), 0x01, UInt8(ascii: "\""), UInt8(ascii: "]")])
        }
        #expect(throws: JSONError.syntax(reason: "invalid UTF-8 in string", offset: 4)) {
            _ = try JSONValue.parse([UInt8(ascii: "\""), 0xC3, 0x28, UInt8(ascii: "\""), UInt8(ascii: " ")])
        }
    }

    @Test("a repeated key names the key, where it starts and where the parser noticed, at any depth")
    func duplicateKeys() {
        #expect(throws: JSONError.duplicateKey(key: "a", offset: 7, end: 10)) { _ = try JSONValue.parse(#"{"a":1,"a":2}"#) }
        #expect(throws: JSONError.duplicateKey(key: "k", offset: 13, end: 16)) { _ = try JSONValue.parse(#"{"x":[{"k":1,"k":{}}]}"#) }
        // Escapes are decoded before keys are compared.
        #expect(throws: JSONError.self) { _ = try JSONValue.parse(#"{"a":1,"\u0061":2}"#) }
    }

    @Test("bounds nesting depth: 64 levels by default, or the caller's limit")
    func depth() throws {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONError.syntax(reason: "nesting deeper than 64", offset: 64)) { _ = try JSONValue.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(ok)
        #expect(throws: JSONError.self) { _ = try JSONValue.parse(ok, maxDepth: 8) }
    }

    @Test("integers beyond 2^53 stay exact; the typed views refuse what does not fit")
    func exactNumbers() throws {
        let v = try JSONValue.parse("[18446744073709551615, 9007199254740993, -1, 1.5, 1e2]")
        let a = try #require(v.arrayValue)
        #expect(a[0].uint64Value == UInt64.max && a[0].intValue == nil)
        #expect(a[1].intValue == 9_007_199_254_740_993)
        #expect(a[2].intValue == -1 && a[2].uint64Value == nil)
        #expect(a[3].intValue == nil && a[3].doubleValue == 1.5)
        #expect(a[4].doubleValue == 100 && a[4].intValue == nil)
        #expect(v.serialized() == "[18446744073709551615,9007199254740993,-1,1.5,1e2]")
        // Equal by value: integers exactly, others as Double.
        #expect(a[1] != .number(JSONNumber(UInt64(9_007_199_254_740_992))))
        #expect(a[4] == .number(100))
        #expect(try JSONValue.parse("1.0") == .number(1))
    }

    @Test("members record where their key starts, plus the caller's base offset")
    func memberOffsets() throws {
        let text = Array(#"{"a": {"b": 1}, "c": 2}"#.utf8)
        let v = try text.withUnsafeBytes { try JSONValue.parse($0, baseOffset: 8) }
        let members = try #require(v.objectValue)
        #expect(members.map(\.key) == ["a", "c"])
        #expect(members.map(\.offset) == [9, 24])
        #expect(members[0].value.objectValue?.first?.offset == 15)
        #expect(throws: JSONError.syntax(reason: "unexpected end of input", offset: 12)) {
            try Array("[1,".utf8).withUnsafeBytes { _ = try JSONValue.parse($0, baseOffset: 9) }
        }
    }
}
