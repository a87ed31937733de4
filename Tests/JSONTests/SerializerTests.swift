// The serializer: escaping, the three layouts, and numbers built in code.
import JSON
import Testing

@Suite("JSON serializer")
struct SerializerTests {
    static let value: JSONValue = .object([
        ("s", .string("tab\there \"q\" \\ \u{7F} \u{1} é")), ("n", .array([.number(1), .number(0.5), .null])),
        ("o", .object([("t", .bool(true)), ("e", .array([])), ("x", .object([JSONMember]()))])),
        ("rows", .array([.array([.number(1)]), .object([("k", .string("v"))])])),
    ])

    @Test("escapes quote, backslash, control characters and DEL; leaves the rest as UTF-8")
    func escaping() {
        #expect(JSONString.quote("tab\there \"q\" \\ \u{7F} \u{1} é \u{2028}") == #""tab\there \"q\" \\ \u007f \u0001 é "# + "\u{2028}\"")
        #expect(JSONString.quote("plain") == "\"plain\"")
        #expect(JSONString.quote("a\r\nb") == #""a\r\nb""#)
        var bytes: [UInt8] = []
        JSONString.write("tab\there \"q\" \\ \u{7F} \u{1} é", into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #""tab\there \"q\" \\ \u007f \u0001 é""#)
    }

    @Test("compact, spaced and pretty layouts of one value")
    func layouts() {
        #expect(Self.value.serialized() ==
            #"{"s":"tab\there \"q\" \\ \u007f \u0001 é","n":[1,0.5,null],"o":{"t":true,"e":[],"x":{}},"rows":[[1],{"k":"v"}]}"#)
        #expect(Self.value.serialized(.spaced) ==
            #"{"s": "tab\there \"q\" \\ \u007f \u0001 é", "n": [1, 0.5, null], "o": {"t": true, "e": [], "x": {}}, "rows": [[1], {"k": "v"}]}"#)
        #expect(Self.value.serialized(.pretty) == """
            {
              "s": "tab\\there \\"q\\" \\\\ \\u007f \\u0001 é",
              "n": [1, 0.5, null],
              "o": {
                "t": true,
                "e": [],
                "x": {}
              },
              "rows": [
                [1],
                {
                  "k": "v"
                }
              ]
            }
            """)
    }

    @Test("numbers built from Doubles: integral without a fraction below 1e15, Swift's description otherwise, non-finite as null")
    func numbersFromDoubles() {
        #expect(JSONValue.number(3).serialized() == "3")
        #expect(JSONValue.number(-0.0).serialized() == "0")
        #expect(JSONValue.number(2.5).serialized() == "2.5")
        #expect(JSONValue.number(1e15).serialized() == "1000000000000000.0")
        #expect(JSONValue.number(Double(Float(0.1))).serialized() == "0.10000000149011612")
        #expect(JSONValue.number(.nan) == .null && JSONValue.number(.infinity) == .null)
        #expect(JSONNumber(shortest: Float(0.1))?.text == "0.1")
        #expect(JSONNumber(shortest: 1.0)?.text == "1.0")
        #expect(JSONNumber(shortest: Float.nan) == nil)
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
    }

    @Test("serialize -> parse gives the value back, in every layout")
    func roundTrips() throws {
        for layout in [JSONLayout.compact, .spaced, .pretty] {
            #expect(try JSONValue.parse(Self.value.serialized(layout)) == Self.value, "\(layout)")
        }
    }
}
