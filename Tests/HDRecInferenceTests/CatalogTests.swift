// catalog.jsonl: round trip, id lookup, and errors that name the line and field.
import Foundation
import Testing
@testable import HDRecInference

@Suite("Catalog")
struct CatalogTests {
    @Test("round trip through JSONL keeps every field; absent fields stay absent")
    func roundTrip() throws {
        let c = try Catalog(items: [CatalogItem(id: "B001", title: "Tape, 3/4\"", brand: "3M", categories: "A,B", description: "d"),
                                    CatalogItem(id: "B002", title: "Glue")])
        let data = try c.jsonl()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.split(separator: "\n").count == 2)
        #expect(!text.contains("null"))
        #expect(try Catalog.parse(data, source: "x") == c)
        #expect(c.index(of: "B002") == 1)
        #expect(try c.indices(of: ["B002", "B001"]) == [1, 0])
        #expect(throws: HDRecInferenceError.unknownItemIDs(["nope", "zz"])) { try c.indices(of: ["B001", "nope", "zz"]) }
    }

    @Test("bad lines are reported with file, line and field", arguments: [
        // Byte offsets count in the file: line 2 starts at byte 23.
        ("{\"id\":\"a\",\"title\":\"t\"}\n{\"title\":\"u\"}\n", "cat.jsonl:2: missing field 'id' (byte 23)"),
        ("{\"id\":\"a\",\"title\":5}\n", "cat.jsonl:1: field 'title' must be a string (byte 10)"),
        ("{\"id\":\"a\",\"title\":null}\n", "cat.jsonl:1: field 'title' is null (byte 10)"),
        ("{\"id\":\"a\",\"title\":\"t\"}\nnot json\n", "cat.jsonl:2: not a JSON object: invalid JSON at byte 23: invalid literal"),
        ("{\"id\":\"a\",\"title\":\"t\"}\n[1]\n", "cat.jsonl:2: not a JSON object (byte 23)"),
        ("{\"id\":\"a\",\"title\":\"t\",\"id\":\"b\"}\n", "cat.jsonl:1: not a JSON object: invalid JSON at byte 26: duplicate member \"id\""),
        ("{\"id\":\"a\",\"title\":\"t\"}\n{\"id\":\"a\",\"title\":\"u\"}\n", "cat.jsonl:2: duplicate id 'a' (first on line 1)"),
        ("{\"id\":\"\",\"title\":\"t\"}\n", "cat.jsonl:1: empty 'id'"),
    ])
    func badLines(text: String, message: String) {
        do {
            _ = try Catalog.parse(Data(text.utf8), source: "cat.jsonl")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("the committed catalog.jsonl (written by Foundation's JSONEncoder) is re-written byte for byte, so its sha256 holds")
    func committedCatalogRewritesIdentically() throws {
        let path = FixturePaths.packageRoot.appendingPathComponent("artifacts/default/catalog.jsonl").path
        let data = try #require(FileManager.default.contents(atPath: path))
        let catalog = try Catalog.parse(data, source: path)
        #expect(catalog.count == 4344)
        #expect(try catalog.jsonl() == data)
        // Foundation's decoder reads the same items.
        let foundation = try data.split(separator: 0x0A).map { try JSONDecoder().decode(CatalogItem.self, from: Data($0)) }
        #expect(foundation == catalog.items)
    }
}
