// JSONDocumentEncoder: Codable types written through the one serializer. Round trips,
// the layouts and key order, exact numbers, and refusals of what JSON cannot hold.
import JSON
import Testing

@Suite("JSON document encoder")
struct DocumentEncoderTests {
    let sample = Sample(name: "a/b \"q\"", itemCount: 3, ratio: 0.1, alpha: 0.3, enabled: false, colour: .red, tags: [],
                        grid: [[1], [2, 3]], inner: Inner(path: "adapters/text", version: 7),
                        byName: ["B": Inner(path: "p", version: 1), "a_Key": Inner(path: "q", version: 2)],
                        note: nil, small: 1, big: .max)

    @Test("round trip in both key strategies and every layout gives the same value")
    func roundTrips() throws {
        for keys in [JSONKeyStrategy.asIs, .snakeCase] {
            for layout in [JSONLayout.compact, .spaced, .pretty] {
                for sorted in [false, true] {
                    let text = try JSONDocumentEncoder(keys: keys, layout: layout, sortedKeys: sorted).encode(sample)
                    #expect(try JSONDocumentDecoder(keys: keys).decode(Sample.self, from: text) == sample, "\(keys) \(layout) \(sorted)")
                }
            }
        }
        let d = Derived()
        d.own = 4
        d.base = 8
        let text = try JSONDocumentEncoder(sortedKeys: true).encode(d)
        #expect(text == #"{"own":4,"super":{"base":8}}"#)
        let back = try JSONDocumentDecoder().decode(Derived.self, from: text)
        #expect(back.own == 4 && back.base == 8)
    }

    @Test("sorted keys at every depth, dictionary keys unconverted, absent optionals omitted, slashes unescaped")
    func layout() throws {
        let text = try JSONDocumentEncoder(keys: .snakeCase, sortedKeys: true).encode(sample)
        #expect(text == #"{"alpha":0.3,"big":18446744073709551615,"by_name":{"B":{"path":"p","version":1},"a_Key":{"path":"q","version":2}},"#
            + #""colour":"red","enabled":false,"grid":[[1],[2,3]],"inner":{"path":"adapters/text","version":7},"item_count":3,"#
            + #""name":"a/b \"q\"","ratio":0.1,"small":1,"tags":[]}"#)
        let pretty = try JSONDocumentEncoder(layout: .pretty, sortedKeys: true).encode(Inner(path: "x", version: 1))
        #expect(pretty == "{\n  \"path\": \"x\",\n  \"version\": 1\n}")
        // Unsorted: the order the type encodes its properties in.
        #expect(try JSONDocumentEncoder().encode(Inner(path: "x", version: 1)) == #"{"path":"x","version":1}"#)
    }

    @Test("numbers: integers exact, integral floating values without a fraction, others in their shortest form")
    func numbers() throws {
        let e = JSONDocumentEncoder()
        #expect(try e.encode([1.0, 0.1, 1e-8, 2.5e20, -0.0]) == "[1,0.1,1e-08,2.5e+20,0]")
        #expect(try e.encode([Float(0.1), 3, 1e-5]) == "[0.1,3,1e-05]")
        #expect(try e.encode([Int64.min]) == "[-9223372036854775808]")
        #expect(try e.encode(Int8(-5)) == "-5")
        for d in [0.1, 1.0 / 3, .pi, 1e300, .leastNonzeroMagnitude] {
            #expect(try JSONDocumentDecoder().decode(Double.self, from: e.encode(d)) == d)
        }
        #expect(try JSONDocumentDecoder().decode(Float.self, from: e.encode(Float(1) / 3)) == Float(1) / 3)
    }

    @Test("NaN and infinities are refused with their path")
    func nonFinite() {
        struct Holder: Encodable { var values: [Double] }
        #expect(throws: JSONError.unencodable(path: "values[1]", reason: "nan is not a JSON number")) {
            try JSONDocumentEncoder().encode(Holder(values: [1, .nan]))
        }
        #expect(throws: JSONError.unencodable(path: "", reason: "inf is not a JSON number")) { try JSONDocumentEncoder().encode(Float.infinity) }
    }

    @Test("encodeValue gives the tree the text is serialized from")
    func tree() throws {
        let v = try JSONDocumentEncoder(keys: .snakeCase).encodeValue(Inner(path: "p", version: 2))
        #expect(v == .object([("path", .string("p")), ("version", .number(2))]))
    }
}
