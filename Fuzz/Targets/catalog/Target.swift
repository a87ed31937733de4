// fuzz-catalog: a bundle's catalog.jsonl (HDRecInference.Catalog.parse) on the input as
// the file. Invariants for a catalog it accepts:
//   - ids are non-empty and unique, and index(of:) maps each id to its line's item;
//   - jsonl() succeeds, and parsing it gives an equal catalog with the same bytes on a
//     second write (the written form is canonical).
// Refusals must be HDRecInferenceError values naming the file.
import Foundation
import FuzzSupport
import HDRecInference

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    let catalog: Catalog
    do {
        catalog = try Catalog.parse(input, source: "catalog.jsonl")
    } catch let e as HDRecInferenceError {
        require("\(e)".contains("catalog.jsonl"), "error does not name the file: \(e)")
        return 0
    } catch {
        require(false, "parse threw a non-HDRecInferenceError \(error)")
        return 0
    }
    for (n, item) in catalog.items.enumerated() {
        require(!item.id.isEmpty, "empty id on item \(n)")
        require(catalog.index(of: item.id) == n, "index(of: \(item.id)) is not \(n)")
        for a in ItemAttribute.allCases { _ = item.value(of: a) }
    }
    let text: Data
    do { text = try catalog.jsonl() } catch {
        require(false, "an accepted catalog cannot be written: \(error)")
        return 0
    }
    do {
        let again = try Catalog.parse(text, source: "catalog.jsonl")
        require(again == catalog, "write -> read changed the catalog")
        let rewritten = try again.jsonl()
        require(rewritten == text, "jsonl() is not stable")
    } catch {
        require(false, "the written catalog does not parse: \(error)")
    }
    return 0
}
