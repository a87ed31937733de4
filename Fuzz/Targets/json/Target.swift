// fuzz-json: the JSON module's parser and serializer (JSON.JSONValue, which every module
// that reads JSON uses) and POST /recommend validation (Service's RecommendationRequest(body:)) on the
// input as a request body. Invariants:
//   - parse -> serialize -> parse gives the same value, and serializing that gives the
//     same text (the serializer is canonical), in each layout; the spaced and pretty
//     layouts parse back to the same value as the compact one;
//   - every member offset lies inside the input;
//   - validation accepts only what the contract allows (a non-empty history of known
//     ids, 1 <= k <= catalog size, alpha in [0, 1], exclusions in the catalog), and
//     every refusal is a 400 or 422 problem whose JSON parses back to itself;
//   - a body that is not JSON is a 400.
import FuzzSupport
import HTTP
import JSON
import HDRecInference
import Service

let catalog: Catalog = {
    let ids = ["0", "1", "2", "3", "10", "B00X4WHP5E", "é", "e\u{301}x", "\u{1F600}", "a b"]
    return try! Catalog(items: ids.map { CatalogItem(id: $0, title: "item \($0)") })
}()

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    var parsed: JSONValue?
    do {
        let v = try JSONValue.parse(bytes)
        parsed = v
        let text = v.serialized()
        let again: JSONValue
        do { again = try JSONValue.parse(text) } catch {
            require(false, "serialized JSON does not parse: \(error): \(text.prefix(200))")
            return 0
        }
        require(again == v, "round trip changed the value: \(text.prefix(200))")
        require(again.serialized() == text, "serialization is not canonical: \(text.prefix(200))")
        for layout in [JSONLayout.spaced, .pretty] {
            let other = v.serialized(layout)
            require((try? JSONValue.parse(other)) == v, "\(layout) layout does not parse back: \(other.prefix(200))")
        }
        require(memberOffsetsInside(v, bytes.count), "a member offset outside 0..<\(bytes.count)")
        _ = v.typeName
    } catch let e as JSONError {
        require(e.offset >= 0 && e.offset <= bytes.count, "error offset \(e.offset) outside 0...\(bytes.count)")
        if case let .duplicateKey(_, start, end) = e { require(start < end, "duplicate key at \(start) ends at \(end)") }
    } catch {
        require(false, "non-JSONError \(error)")
    }

    do {
        let r = try RecommendationRequest(body: bytes, catalog: catalog, defaultAlpha: 0.5)
        require(parsed != nil, "validation accepted a body the JSON parser refuses")
        require(!r.history.isEmpty, "empty history accepted")
        require(r.history.allSatisfy { catalog.items.indices.contains($0) }, "history index out of range")
        require(r.exclude.allSatisfy { catalog.items.indices.contains($0) }, "exclude index out of range")
        require(r.k >= 1 && r.k <= catalog.count, "k = \(r.k) accepted")
        if let a = r.alpha { require(a >= 0 && a <= 1, "alpha = \(a) accepted") }
    } catch let p as Problem {
        require(p.status == .badRequest || p.status == .unprocessableContent, "status \(p.status)")
        if parsed == nil { require(p.status == .badRequest, "non-JSON body answered \(p.status)") }
        let text = p.json.serialized()
        let back = try? JSONValue.parse(text)
        require(back == p.json, "problem JSON does not round-trip: \(text.prefix(200))")
        _ = p.response
    } catch {
        require(false, "validation threw a non-Problem \(error)")
    }
    return 0
}

func memberOffsetsInside(_ v: JSONValue, _ count: Int) -> Bool {
    switch v {
    case .array(let items): return items.allSatisfy { memberOffsetsInside($0, count) }
    case .object(let members): return members.allSatisfy { $0.offset >= 0 && $0.offset < count && memberOffsetsInside($0.value, count) }
    default: return true
    }
}
