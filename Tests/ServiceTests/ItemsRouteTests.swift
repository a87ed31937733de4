// GET /items in-process (docs/service.md "GET /items"): title matching (case, accents, width),
// pagination with the opaque cursor, lookup by ids, limits, every bad parameter as
// problem+json naming its field, and the same auth as /recommend. The test engine's
// catalog is i0...i19 titled "Item 0"..."Item 19"; CatalogSearch is also tested on
// titles of its own.
import HTTP
import JSON
import HDRecInference
import Testing
@testable import Service

@Suite("GET /items (in-process)")
struct ItemsRouteTests {
    let root = TestRoot()

    private func ids(_ r: HTTPResponse) -> [String] {
        guard case .array(let items)? = r.json["items"] else { return [] }
        return items.compactMap { if case .string(let s)? = $0["id"] { s } else { nil } }
    }

    private func expectProblem(_ r: HTTPResponse, status: Int, field: String, _ note: String) {
        #expect(r.status.code == status, "\(note): \(r.bodyText)")
        #expect(r.headers["Content-Type"] == "application/problem+json", "\(note)")
        #expect(r.json["field"] == .string(field), "\(note): \(r.bodyText)")
        #expect(r.json["status"] == .number(Double(status)), "\(note)")
    }

    @Test("matches a substring of the title whatever its case, in catalog order, with titles and the total")
    func caseInsensitive() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.get, "/items?q=ITEM%201")
        #expect(r.status.code == 200)
        #expect(r.headers["Content-Type"] == "application/json")
        #expect(ids(r) == ["i1"] + (10 ... 19).map { "i\($0)" })
        #expect(r.json["total"] == .number(11))
        #expect(r.json["next_cursor"] == .null)
        guard case .array(let items)? = r.json["items"] else { Issue.record("no items"); return }
        #expect(items.first?["title"] == .string("Item 1"))
        #expect(ids(await service.call(.get, "/items?q=tem+1")) == ids(r), "+ is a space")
        #expect(ids(await service.call(.get, "/items?q=m%2019")) == ["i19"])
    }

    @Test("ignores accents and width in the query (ítém, ＩＴＥＭ) and finds nothing for absent text")
    func accents() async throws {
        let service = try makeService(root: root)
        #expect(await service.call(.get, "/items?q=%C3%ADt%C3%A9m").json["total"] == .number(20))
        #expect(await service.call(.get, "/items?q=%EF%BC%A9%EF%BC%B4%EF%BC%A5%EF%BC%AD%207").json["total"] == .number(1))
        let none = await service.call(.get, "/items?q=zebra")
        #expect(none.status.code == 200)
        #expect(ids(none).isEmpty)
        #expect(none.json["total"] == .number(0))
    }

    @Test("pages through every match with next_cursor, without repeats or gaps")
    func pagination() async throws {
        let service = try makeService(root: root)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let target = "/items?q=item&limit=7" + (cursor.map { "&cursor=" + $0 } ?? "")
            let r = await service.call(.get, target)
            #expect(r.status.code == 200, "\(r.bodyText)")
            #expect(r.json["total"] == .number(20))
            seen += ids(r)
            if case .string(let c)? = r.json["next_cursor"] { cursor = c } else { cursor = nil }
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
        #expect(seen == (0 ..< 20).map { "i\($0)" })
    }

    @Test("an empty or absent q lists the catalog, 20 at a time by default")
    func emptyQuery() async throws {
        let service = try makeService(root: root, spec: TestSpec(items: 30))
        let r = await service.call(.get, "/items")
        #expect(ids(r) == (0 ..< 20).map { "i\($0)" })
        #expect(r.json["total"] == .number(30))
        guard case .string(let c)? = r.json["next_cursor"] else { Issue.record("no cursor"); return }
        #expect(ids(await service.call(.get, "/items?q=&cursor=" + c)) == (20 ..< 30).map { "i\($0)" })
        #expect(ids(await service.call(.get, "/items?limit=100")).count == 30)
    }

    @Test("ids looks items up in the order given; an unknown id is 422 with unknown_ids")
    func lookup() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.get, "/items?ids=i7,i2,i7")
        #expect(ids(r) == ["i7", "i2", "i7"])
        #expect(r.json["next_cursor"] == .null)
        let unknown = await service.call(.get, "/items?ids=i1,nope,x%2Cy")
        expectProblem(unknown, status: 422, field: "ids", "unknown ids")
        #expect(unknown.json["unknown_ids"] == .array([.string("nope"), .string("x,y")]))
    }

    @Test("ids are split on raw commas, then decoded, so %2C is a comma inside an id")
    func idsWithCommas() throws {
        #expect(try ItemsRoute.parse("ids=a%2Cb,c,%E2%82%AC") == .lookup(ids: ["a,b", "c", "€"]))
        #expect(try ItemsRoute.parse("q=a%2Cb") == .search(q: "a,b", limit: 20, from: 0))
    }

    @Test("bad parameters are problem+json naming the parameter: 400 when malformed, 422 when out of range")
    func badParameters() async throws {
        let service = try makeService(root: root)
        let cases: [(String, Int, String)] = [
            ("limit=abc", 400, "limit"), ("limit=0", 422, "limit"), ("limit=101", 422, "limit"), ("limit=-3", 422, "limit"),
            ("page=2", 400, "page"), ("q=a&q=b", 400, "q"), ("q=%ZZ", 400, "q"), ("q=%FF", 400, "q"),
            ("cursor=%21%21", 400, "cursor"), ("cursor=bm9wZQ", 400, "cursor"),
            ("q=" + String(repeating: "a", count: 201), 422, "q"),
            ("ids=i1&q=x", 400, "q"), ("ids=i1,,i2", 400, "ids"), ("ids=" + Array(repeating: "i1", count: 101).joined(separator: ","), 422, "ids"),
        ]
        for (query, status, field) in cases {
            expectProblem(await service.call(.get, "/items?" + query), status: status, field: field, query)
        }
        #expect(await service.call(.get, "/items?q=" + String(repeating: "%C3%A9", count: 200)).status.code == 200,
                "the limit counts characters, not bytes")
    }

    @Test("a cursor only continues the query it was issued for")
    func foreignCursor() async throws {
        let service = try makeService(root: root)
        guard case .string(let c)? = await service.call(.get, "/items?q=item&limit=2").json["next_cursor"] else {
            Issue.record("no cursor"); return
        }
        #expect(await service.call(.get, "/items?q=ITEM&limit=2&cursor=" + c).status.code == 200, "same folded query")
        expectProblem(await service.call(.get, "/items?q=item%201&cursor=" + c), status: 400, field: "cursor", "other query")
    }

    @Test("needs an API key when keys are configured, like /recommend; 503 before a bundle is loaded")
    func auth() async throws {
        let service = try makeService(root: root, apiKeys: ["k1"])
        let denied = await service.call(.get, "/items?q=item")
        #expect(denied.status.code == 401)
        #expect(denied.headers["WWW-Authenticate"] == "Bearer")
        #expect(await service.call(.get, "/items?q=item", headers: [("Authorization", "Bearer k1")]).status.code == 200)
        #expect(await service.call(.get, "/items?q=item", headers: [("X-Api-Key", "k1")]).status.code == 200)
        #expect(await service.call(.get, "/items?q=item", headers: [("Authorization", "Bearer k2")]).status.code == 401)
        let loading = try makeService(root: TestRoot(), load: false)
        #expect(await loading.call(.get, "/items?q=x").status.code == 503)
    }

    @Test("CatalogSearch folds case, diacritics and width on both sides")
    func folding() throws {
        let catalog = try Catalog(items: [
            CatalogItem(id: "a", title: "Café Crème Grinder"), CatalogItem(id: "b", title: "CAFE RACER gloves"),
            CatalogItem(id: "c", title: "ｃａｆｅ table"), CatalogItem(id: "d", title: "Ångström scale, Straße edition"),
            CatalogItem(id: "e", title: "tea"),
        ])
        let search = CatalogSearch(catalog: catalog)
        #expect(search.search("cafe", from: 0, limit: 10).items == [0, 1, 2])
        #expect(search.search("CAFÉ", from: 0, limit: 10).items == [0, 1, 2])
        #expect(search.search("angstrom", from: 0, limit: 10).items == [3])
        #expect(search.search("strasse", from: 0, limit: 10).items == [3])
        #expect(search.search("edition tea", from: 0, limit: 10).items.isEmpty)  // never across two titles
        #expect(search.search("tea", from: 0, limit: 10).items == [4])
        let page = search.search("cafe", from: 1, limit: 1)
        #expect(page.items == [1] && page.next == 2 && page.total == 3)
    }

    @Test("CatalogSearch agrees with a naive substring search on random titles and queries")
    func agreesWithNaive() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcAB é,")
        func word(_ n: Int) -> String { String((0 ..< n).map { _ in alphabet.randomElement(using: &rng)! }) }
        let catalog = try Catalog(items: (0 ..< 300).map { CatalogItem(id: "\($0)", title: word(Int.random(in: 0 ... 12, using: &rng))) })
        let search = CatalogSearch(catalog: catalog)
        let folded = catalog.items.map { CatalogSearch.fold($0.title) }
        for _ in 0 ..< 300 {
            let q = word(Int.random(in: 1 ... 4, using: &rng))
            let f = CatalogSearch.fold(q)
            let expected = folded.indices.filter { f.isEmpty || folded[$0].utf8.firstRange(of: f.utf8) != nil }
            let found = search.search(q, from: 0, limit: 1000)
            #expect(found.items == expected, "q \(q)")
            #expect(found.total == expected.count)
        }
    }

    @Test("a hot swap that keeps the catalog keeps the index; the route serves the new engine's catalog")
    func swapKeepsIndex() async throws {
        let service = try makeService(root: root)
        let before = try #require(service.registry.currentWithSearch)
        root.bundle("v2", TestSpec(text: "cccccccccccc", seed: 2))
        #expect(await service.call(.put, "/adapters", json: #"{"path": "v2"}"#, headers: admin).status.code == 200)
        let after = try #require(service.registry.currentWithSearch)
        #expect(after.engine !== before.engine)
        #expect(after.search === before.search, "an equal catalog reuses the index")
        #expect(await service.call(.get, "/items?q=item%2019").json["total"] == .number(1))
    }
}
