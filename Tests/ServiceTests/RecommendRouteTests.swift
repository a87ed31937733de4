// POST /recommend in-process: the response shape, defaults, exclusions, explain, and
// every validation rule of docs/service.md "POST /recommend" (400 naming the field, 422 for semantics).
import HTTP
import JSON
import HDRecInference
import Testing
@testable import Service

@Suite("POST /recommend (in-process)")
struct RecommendRouteTests {
    let root = TestRoot()

    @Test("answers items with id, score and title, the adapter versions and stage timings")
    func happyPath() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: #"{"history": ["i3", "i5"], "k": 4}"#)
        #expect(r.status.code == 200)
        #expect(r.headers["Content-Type"] == "application/json")
        let items = try #require(r.json["items"].flatMap { if case .array(let a) = $0 { a } else { nil } })
        #expect(items.count == 4)
        // The expected ranking is the engine's own for the same query.
        let engine = try #require(service.registry.current as? TestEngine)
        let expected = try engine.recommend([RecommendationRequest(history: [3, 5], k: 4, alpha: 0.5)])[0].items.map { "i\($0.index)" }
        #expect(items.map { $0["id"] } == expected.map { .string($0) })
        #expect(items.first?["title"] == .string("Item " + expected[0].dropFirst()))
        #expect(items.first?["text_score"] == nil)
        #expect(r.json["adapters"] == .object([("text", .string("aaaaaaaaaaaa")), ("id", .string("bbbbbbbbbbbb"))]))
        for key in ["text_pass", "id_pass", "fusion", "total"] {
            guard let v = r.json["timing_ms"]?[key]?.doubleValue else { Issue.record("timing_ms.\(key) missing"); continue }
            #expect(v >= 0)
        }
        #expect(r.json["timing_ms"]?["id_pass"] == .number(2))
    }

    @Test("defaults k to 10, fusion to text-dominant and alpha to the bundle's")
    func defaults() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: #"{"history": ["i1"]}"#)
        guard case .array(let items)? = r.json["items"] else { Issue.record("no items"); return }
        #expect(items.count == 10)
        let engine = try #require(service.registry.current as? TestEngine)
        let expected = try engine.recommend([RecommendationRequest(history: [1], k: 10, fusion: .textDominant, alpha: 0.5)])[0]
        #expect(items.map { $0["id"] } == expected.items.map { .string("i\($0.index)") })
    }

    @Test("with explain, each item carries text_score and id_boost that add up to the score")
    func explain() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: #"{"history": ["i1", "i2"], "k": 3, "explain": true, "alpha": 0.7}"#)
        guard case .array(let items)? = r.json["items"] else { Issue.record("no items"); return }
        for item in items {
            guard let s = item["score"]?.doubleValue, let t = item["text_score"]?.doubleValue, let b = item["id_boost"]?.doubleValue
            else { Issue.record("missing explain fields in \(item)"); continue }
            #expect(abs(s - (t + b)) < 1e-4)
        }
    }

    @Test("exclude_history and exclude keep those items out of the answer")
    func exclusions() async throws {
        let service = try makeService(root: root)
        let plain = await service.call(.post, "/recommend", json: #"{"history": ["i1"], "k": 20}"#)
        guard case .array(let all)? = plain.json["items"] else { Issue.record("no items"); return }
        #expect(all.count == 20)
        let top = all.prefix(2).compactMap { if case .string(let s)? = $0["id"] { s } else { nil } }
        let body = #"{"history": ["\#(top[0])"], "k": 20, "exclude_history": true, "exclude": ["\#(top[1])"]}"#
        let r = await service.call(.post, "/recommend", json: body)
        guard case .array(let items)? = r.json["items"] else { Issue.record("no items"); return }
        #expect(items.count == 18)
        #expect(!items.contains { $0["id"] == .string(top[0]) || $0["id"] == .string(top[1]) })
    }

    @Test("answers malformed JSON and wrong types with 400 problems naming the field", arguments: [
        (#"{"history": ["i1"]"#, nil as String?),
        (#"[1, 2]"#, nil),
        (#"{"k": 3}"#, "history"),
        (#"{"history": "i1"}"#, "history"),
        (#"{"history": ["i1", 7]}"#, "history[1]"),
        (#"{"history": ["i1"], "k": "10"}"#, "k"),
        (#"{"history": ["i1"], "k": 2.5}"#, "k"),
        (#"{"history": ["i1"], "alpha": "high"}"#, "alpha"),
        (#"{"history": ["i1"], "fusion": 3}"#, "fusion"),
        (#"{"history": ["i1"], "exclude_history": "yes"}"#, "exclude_history"),
        (#"{"history": ["i1"], "exclude": [null]}"#, "exclude[0]"),
        (#"{"history": ["i1"], "explain": 1}"#, "explain"),
        (#"{"history": ["i1"], "exclude_histroy": true}"#, "exclude_histroy"),
    ])
    func badRequests(body: String, field: String?) async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: body)
        #expect(r.status.code == 400, "\(body)")
        #expect(r.headers["Content-Type"] == "application/problem+json")
        #expect(r.json["status"] == .number(400))
        if let field {
            #expect(r.json["field"] == .string(field), "\(body)")
            guard case .string(let detail)? = r.json["detail"] else { Issue.record("no detail"); return }
            #expect(detail.contains("'\(field)'"))
        }
    }

    @Test("answers semantic problems with 422", arguments: [
        (#"{"history": []}"#, "history"),
        (#"{"history": ["i1"], "k": 0}"#, "k"),
        (#"{"history": ["i1"], "k": 21}"#, "k"),
        (#"{"history": ["i1"], "alpha": 1.5}"#, "alpha"),
        (#"{"history": ["i1"], "alpha": -0.1}"#, "alpha"),
        (#"{"history": ["i1"], "fusion": "bogus"}"#, "fusion"),
    ])
    func unprocessable(body: String, field: String) async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: body)
        #expect(r.status.code == 422, "\(body)")
        #expect(r.json["field"] == .string(field))
    }

    @Test("lists unknown item ids from history and exclude in a 422")
    func unknownIDs() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.post, "/recommend", json: #"{"history": ["i1", "nope", "i2", "gone"], "exclude": ["zz"]}"#)
        #expect(r.status.code == 422)
        #expect(r.json["unknown_ids"] == .array([.string("nope"), .string("gone"), .string("zz")]))
        #expect(r.json["field"] == .string("history, exclude"))
    }

    @Test("accepts every fusion method")
    func fusionMethods() async throws {
        let service = try makeService(root: root)
        for method in FusionMethod.allCases {
            let r = await service.call(.post, "/recommend", json: #"{"history": ["i4"], "k": 2, "fusion": "\#(method.rawValue)"}"#)
            #expect(r.status.code == 200, "\(method)")
        }
    }

    @Test("answers 503 with Retry-After while no bundle is loaded")
    func notLoaded() async throws {
        let service = try makeService(root: root, load: false)
        let r = await service.call(.post, "/recommend", json: #"{"history": ["i1"]}"#)
        #expect(r.status.code == 503)
        #expect(r.headers["Retry-After"] != nil)
    }

    @Test("requires an API key on /recommend and /model when configured, but not on probes")
    func apiKeys() async throws {
        let service = try makeService(root: root, apiKeys: ["k1", "k2"])
        let body = #"{"history": ["i1"], "k": 1}"#
        let none = await service.call(.post, "/recommend", json: body)
        #expect(none.status.code == 401)
        #expect(none.headers["WWW-Authenticate"] == "Bearer")
        #expect(await service.call(.post, "/recommend", json: body, headers: [("Authorization", "Bearer nope")]).status.code == 401)
        #expect(await service.call(.post, "/recommend", json: body, headers: [("Authorization", "Bearer k2")]).status.code == 200)
        #expect(await service.call(.post, "/recommend", json: body, headers: [("X-Api-Key", "k1")]).status.code == 200)
        #expect(await service.call(.get, "/model").status.code == 401)
        #expect(await service.call(.get, "/healthz").status.code == 200)
        #expect(await service.call(.get, "/metrics").status.code == 200)
    }
}
