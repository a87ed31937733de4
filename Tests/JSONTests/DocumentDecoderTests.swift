// JSONDocumentDecoder: Codable types read through the strict parser. Values of every kind
// the project's documents hold, exact integers, key strategies, and each refusal with the
// path and byte offset it names.
import JSON
import Testing

enum Colour: String, Codable, Equatable { case red, green }

struct Inner: Codable, Equatable {
    var path: String
    var version: Int
}

struct Sample: Codable, Equatable {
    var name: String
    var itemCount: Int
    var ratio: Double
    var alpha: Float
    var enabled: Bool
    var colour: Colour
    var tags: [String]
    var grid: [[Int]]
    var inner: Inner
    var byName: [String: Inner]
    var note: String?
    var small: UInt8
    var big: UInt64
}

/// A class hierarchy that writes its base class's fields under "super".
class Base: Codable { var base: Int = 1 }
final class Derived: Base {
    var own = 2
    enum Keys: String, CodingKey { case own }
    override init() { super.init() }
    required init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        own = try c.decode(Int.self, forKey: .own)
        try super.init(from: c.superDecoder())
    }
    override func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(own, forKey: .own)
        try super.encode(to: c.superEncoder())
    }
}

let sampleText = """
    {"name": "x", "item_count": 3, "ratio": 0.1, "alpha": 0.3, "enabled": true, "colour": "green",
     "tags": ["a", "b"], "grid": [[1, 2], []], "inner": {"path": "adapters/text", "version": 7},
     "by_name": {"NDCG@10": {"path": "p", "version": 1}, "camelKey": {"path": "q", "version": 2}},
     "note": null, "small": 255, "big": 18446744073709551615}
    """

@Suite("JSON document decoder")
struct DocumentDecoderTests {
    let snake = JSONDocumentDecoder(keys: .snakeCase)

    func failure<T: Decodable>(_ type: T.Type, _ text: String, keys: JSONKeyStrategy = .asIs) -> JSONError? {
        do {
            _ = try JSONDocumentDecoder(keys: keys).decode(type, from: text)
            return nil
        } catch let e as JSONError {
            return e
        } catch {
            Issue.record("not a JSONError: \(error)")
            return nil
        }
    }

    /// The offset of the first `needle` in `text` (where the member's key opens).
    func offset(of needle: String, in text: String) -> Int {
        let bytes = Array(text.utf8), n = Array(needle.utf8)
        return (0 ... bytes.count - n.count).first { Array(bytes[$0 ..< $0 + n.count]) == n }!
    }

    @Test("every value kind: snake_case properties, dictionary keys as written, optionals, nested arrays, enums")
    func values() throws {
        let s = try snake.decode(Sample.self, from: sampleText)
        #expect(s == Sample(name: "x", itemCount: 3, ratio: 0.1, alpha: 0.3, enabled: true, colour: .green, tags: ["a", "b"],
                            grid: [[1, 2], []], inner: Inner(path: "adapters/text", version: 7),
                            byName: ["NDCG@10": Inner(path: "p", version: 1), "camelKey": Inner(path: "q", version: 2)],
                            note: nil, small: 255, big: .max))
        let d = try JSONDocumentDecoder().decode(Derived.self, from: #"{"own": 5, "super": {"base": 9}}"#)
        #expect(d.own == 5 && d.base == 9)
        #expect(try JSONDocumentDecoder().decode([String: [Int?]].self, from: #"{"a": [1, null]}"#) == ["a": [1, nil]])
        #expect(try JSONDocumentDecoder().decode(Int?.self, from: "null") == nil)
    }

    @Test("integers are exact: integral spellings are accepted, fractions and out-of-range values refused")
    func integers() throws {
        let d = JSONDocumentDecoder()
        #expect(try d.decode(Int.self, from: "9007199254740993") == 9_007_199_254_740_993)
        #expect(try d.decode(Int.self, from: "1e2") == 100)
        #expect(try d.decode(Int.self, from: "-2.50e1") == -25)
        #expect(try d.decode(Int.self, from: "100.000") == 100)
        #expect(try d.decode(Int64.self, from: "-9223372036854775808") == .min)
        #expect(try d.decode(UInt8.self, from: "0.0") == 0)
        for (text, type) in [("1.5", "Int"), ("1e-1", "Int"), ("1e30", "Int"), ("9223372036854775808", "Int")] {
            #expect(failure(Int.self, text) == .document(path: "", problem: .unrepresentable(number: text, expected: type), offset: 0))
        }
        #expect(failure(Int32.self, "2147483648") == .document(path: "", problem: .unrepresentable(number: "2147483648", expected: "Int32"), offset: 0))
        #expect(failure(UInt8.self, "-1") == .document(path: "", problem: .unrepresentable(number: "-1", expected: "UInt8"), offset: 0))
        // 1e400 is beyond every type: the parser refuses it before any decoding.
        #expect(throws: JSONError.syntax(reason: "number out of range", offset: 1)) { try d.decode([Int].self, from: "[1e400]") }
    }

    @Test("Doubles and Floats come from the text: each is the value nearest the literal")
    func floatingPoint() throws {
        let d = JSONDocumentDecoder()
        #expect(try d.decode(Double.self, from: "0.1") == 0.1)
        #expect(try d.decode(Float.self, from: "0.1") == Float(0.1))
        // Nearest Float to the literal, not the Float nearest the Double nearest it.
        #expect(try d.decode(Float.self, from: "1.00000005960464477539062500001") == Float(1).nextUp)
        #expect(try d.decode(Double.self, from: "5e-324") == .leastNonzeroMagnitude)
        #expect(failure(Float.self, "1e39") == .document(path: "", problem: .unrepresentable(number: "1e39", expected: "Float"), offset: 0))
    }

    @Test("each refusal names the path in the file's spelling and the offset of the member holding the value")
    func errors() throws {
        func expectFailure(_ text: String, path: String, problem: JSONDocumentProblem, at needle: String) {
            #expect(failure(Sample.self, text, keys: .snakeCase) == .document(path: path, problem: problem, offset: offset(of: needle, in: text)),
                    "\(path)")
        }
        var text = sampleText.replacingFirst(#""version": 7"#, with: #""version": "7""#)
        expectFailure(text, path: "inner.version", problem: .typeMismatch(expected: "Int", found: "string"), at: #""version": "7""#)
        text = sampleText.replacingFirst(#", "version": 7"#, with: "")
        expectFailure(text, path: "inner.version", problem: .missing, at: #""inner""#)
        text = sampleText.replacingFirst(#""name": "x""#, with: #""name": null"#)
        expectFailure(text, path: "name", problem: .null(expected: "String"), at: #""name""#)
        text = sampleText.replacingFirst(#""small": 255"#, with: #""small": 256"#)
        expectFailure(text, path: "small", problem: .unrepresentable(number: "256", expected: "UInt8"), at: #""small""#)
        text = sampleText.replacingFirst(#""green""#, with: #""blue""#)
        expectFailure(text, path: "colour", problem: .invalid("Cannot initialize Colour from invalid String value blue"), at: #""colour""#)
        // Inside arrays: the element's index, at the member holding the array.
        text = sampleText.replacingFirst("[[1, 2], []]", with: #"[[1, 2], [3, "4"]]"#)
        expectFailure(text, path: "grid[1][1]", problem: .typeMismatch(expected: "Int", found: "string"), at: #""grid""#)
        text = sampleText.replacingFirst(#""NDCG@10": {"path": "p", "version": 1}"#, with: #""NDCG@10": {"path": 1, "version": 1}"#)
        expectFailure(text, path: "by_name.NDCG@10.path", problem: .typeMismatch(expected: "String", found: "number"), at: #""path": 1"#)
        // The whole document of the wrong kind, after leading whitespace.
        #expect(failure(Sample.self, "  [1]") == .document(path: "", problem: .typeMismatch(expected: "object", found: "array"), offset: 2))
        #expect(failure([Int].self, " {}") == .document(path: "", problem: .typeMismatch(expected: "array", found: "object"), offset: 1))
        #expect("\(failure(Inner.self, #"{"path": "p", "version": true}"#)!)" == "JSON at byte 14: 'version': expected Int, found boolean")
    }

    @Test("repeated keys are refused, including two spellings of one property")
    func repeatedKeys() {
        #expect(failure(Inner.self, #"{"path": "a", "version": 1, "path": "b"}"#) == .duplicateKey(key: "path", offset: 28, end: 34))
        #expect(failure(Sample.self, #"{"item_count": 1, "itemCount": 2}"#, keys: .snakeCase) == .duplicateKey(key: "itemCount", offset: 18, end: 29))
    }

    @Test("byte offsets continue from the caller's base offset (a JSONL line's start)")
    func baseOffset() {
        let line = Array(#"{"path": 3, "version": 1}"#.utf8)
        #expect(throws: JSONError.document(path: "path", problem: .typeMismatch(expected: "String", found: "number"), offset: 101)) {
            try JSONDocumentDecoder().decode(Inner.self, from: line, baseOffset: 100)
        }
    }

    @Test("snake_case spellings follow Foundation's conversions both ways")
    func keyConversion() throws {
        struct Keys: Codable, Equatable { var baseURLPath: Int; var itemCount: Int; var sha256: Int; var top10Hits: Int; var a: Int }
        let v = Keys(baseURLPath: 1, itemCount: 2, sha256: 3, top10Hits: 4, a: 5)
        let text = try JSONDocumentEncoder(keys: .snakeCase, sortedKeys: true).encode(v)
        #expect(text == #"{"a":5,"base_url_path":1,"item_count":2,"sha256":3,"top10_hits":4}"#)
        // "base_url_path" reads as "baseUrlPath", as Foundation reads it: the acronym does not come back.
        #expect(failure(Keys.self, text, keys: .snakeCase) == .document(path: "base_url_path", problem: .missing, offset: 0))
        struct Plain: Codable, Equatable { var itemCount: Int; var sha256: Int }
        #expect(try snake.decode(Plain.self, from: #"{"item_count": 2, "sha256": 3, "_x_": 0}"#) == Plain(itemCount: 2, sha256: 3))
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = firstRange(of: target) else { fatalError("\(target) not in the text") }
        var s = self
        s.replaceSubrange(r, with: replacement)
        return s
    }
}
