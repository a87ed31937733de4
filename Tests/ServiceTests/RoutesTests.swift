// The other routes in-process: probes, /model, /metrics, 404/405, request ids, the
// access log line, admin auth, PUT /adapters and rollback.
import HTTP
import JSON
import Synchronization
import Testing
@testable import Service

@Suite("service routes (in-process)")
struct RoutesTests {
    let root = TestRoot()

    @Test("healthz is always ok; readyz is 503 until loaded and again while draining")
    func probes() async throws {
        let service = try makeService(root: root, load: false)
        #expect(await service.call(.get, "/healthz").json == .object([("status", .string("ok"))]))
        let loading = await service.call(.get, "/readyz")
        #expect(loading.status.code == 503)
        #expect(loading.headers["Content-Type"] == "application/problem+json")
        try service.registry.loadInitial(directory: root.path + "/v1")
        let ready = await service.call(.get, "/readyz")
        #expect(ready.status.code == 200)
        #expect(ready.json["status"] == .string("ready"))
        service.beginDrain()
        #expect(await service.call(.get, "/readyz").status.code == 503)
        #expect(await service.call(.get, "/healthz").status.code == 200)
    }

    @Test("GET /model serves the bundle manifest")
    func model() async throws {
        let service = try makeService(root: root)
        let r = await service.call(.get, "/model")
        #expect(r.status.code == 200)
        #expect(r.bodyText == TestSpec().json)
    }

    @Test("unknown paths get 404 and wrong methods 405 with Allow, as problem+json")
    func routingErrors() async throws {
        let service = try makeService(root: root)
        let nf = await service.call(.get, "/nope")
        #expect(nf.status.code == 404)
        #expect(nf.headers["Content-Type"] == "application/problem+json")
        let na = await service.call(.get, "/recommend")
        #expect(na.status.code == 405)
        #expect(na.headers["Allow"] == "POST")
        #expect(await service.call(.delete, "/adapters").headers["Allow"] == "GET, HEAD, PUT")
    }

    @Test("echoes a sane X-Request-Id, replaces an unsafe one, and generates one otherwise")
    func requestIDs() async throws {
        let service = try makeService(root: root)
        #expect(await service.call(.get, "/healthz", headers: [("X-Request-Id", "abc-123")]).headers["X-Request-Id"] == "abc-123")
        let unsafe = await service.call(.get, "/healthz", headers: [("X-Request-Id", "a b\"c")]).headers["X-Request-Id"]
        #expect(unsafe != nil && unsafe != "a b\"c")
        let generated = await service.call(.get, "/nope").headers["X-Request-Id"] ?? ""
        #expect(generated.count == 32)
    }

    @Test("writes one JSON access-log line per request")
    func accessLog() async throws {
        let lines = Mutex<[String]>([])
        var config = ServiceConfig(artifacts: root.bundle("v1", TestSpec()), adapterRoot: root.path)
        config.batchWindow = 0
        let service = RecommendationService(config: config, loader: TestLoader(), logger: quietLogger { l in lines.withLock { $0.append(l) } })
        _ = await service.call(.get, "/healthz", headers: [("X-Request-Id", "rid-1")])
        let logged = lines.withLock { $0 }
        #expect(logged.count == 1)
        let line = try JSONValue.parse(try #require(logged.first))
        #expect(line["msg"] == .string("request"))
        #expect(line["request_id"] == .string("rid-1"))
        #expect(line["route"] == .string("/healthz"))
        #expect(line["status"] == .number(200))
        #expect(line["method"] == .string("GET"))
    }

    @Test("admin routes answer 403 when admin is disabled and 401 without a valid token")
    func adminAuth() async throws {
        let disabled = try makeService(root: root, admin: false)
        let r = await disabled.call(.get, "/adapters", headers: admin)
        #expect(r.status.code == 403)
        guard case .string(let detail)? = r.json["detail"] else { Issue.record("no detail"); return }
        #expect(detail.contains("admin routes are disabled"))
        let service = try makeService(root: TestRoot())
        #expect(await service.call(.get, "/adapters").status.code == 401)
        #expect(await service.call(.put, "/adapters", json: "{}", headers: [("Authorization", "Bearer wrong")]).status.code == 401)
        #expect(await service.call(.post, "/adapters/rollback", headers: [("Authorization", "Basic s3cret")]).status.code == 401)
        #expect(await service.call(.get, "/adapters", headers: admin).status.code == 200)
    }

    @Test("PUT /adapters swaps to a valid directory and answers the new and previous versions; rollback returns")
    func swapAndRollback() async throws {
        let service = try makeService(root: root)
        root.bundle("v2", TestSpec(text: "cccccccccccc", id: "dddddddddddd", seed: 2))
        let put = await service.call(.put, "/adapters", json: #"{"path": "\#(root.path)/v2"}"#, headers: admin)
        #expect(put.status.code == 200)
        #expect(put.json["adapters"] == .object([("text", .string("cccccccccccc")), ("id", .string("dddddddddddd"))]))
        #expect(put.json["previous"] == .object([("text", .string("aaaaaaaaaaaa")), ("id", .string("bbbbbbbbbbbb"))]))
        let rec = await service.call(.post, "/recommend", json: #"{"history": ["i1"]}"#)
        #expect(rec.json["adapters"]?["text"] == .string("cccccccccccc"))
        let list = await service.call(.get, "/adapters", headers: admin)
        #expect(list.json["current"]?["id"] == .string("dddddddddddd"))
        let back = await service.call(.post, "/adapters/rollback", headers: admin)
        #expect(back.status.code == 200)
        #expect(back.json["adapters"]?["text"] == .string("aaaaaaaaaaaa"))
        #expect(back.json["previous"]?["text"] == .string("cccccccccccc"))
        #expect(await service.call(.post, "/adapters/rollback", headers: admin).status.code == 409)
        let swaps = service.metrics.adapterSwaps
        #expect(swaps.value(["ok"]) == 2)
    }

    @Test("PUT /adapters relative paths resolve under the adapter root")
    func relativePath() async throws {
        let service = try makeService(root: root)
        root.bundle("v3", TestSpec(text: "eeeeeeeeeeee", seed: 3))
        let put = await service.call(.put, "/adapters", json: #"{"path": "v3"}"#, headers: admin)
        #expect(put.status.code == 200)
    }

    @Test("PUT /adapters refuses paths outside the adapter root with 403, including via .. and symlinks")
    func outsideRoot() async throws {
        let service = try makeService(root: root)
        let other = TestRoot()
        other.bundle("evil", TestSpec())
        #expect(await service.call(.put, "/adapters", json: #"{"path": "\#(other.path)/evil"}"#, headers: admin).status.code == 403)
        #expect(await service.call(.put, "/adapters", json: #"{"path": "\#(root.path)/../\#((other.path as NSString).lastPathComponent)/evil"}"#, headers: admin).status.code == 403)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/link", withDestinationPath: other.path + "/evil")
        #expect(await service.call(.put, "/adapters", json: #"{"path": "\#(root.path)/link"}"#, headers: admin).status.code == 403)
    }

    @Test("a failed validation answers 422 naming the problem and keeps the old pair serving")
    func failedValidation() async throws {
        let service = try makeService(root: root)
        root.bundle("bad", TestSpec(text: "ffffffffffff", items: 21))
        let r = await service.call(.put, "/adapters", json: #"{"path": "\#(root.path)/bad"}"#, headers: admin)
        #expect(r.status.code == 422)
        guard case .string(let detail)? = r.json["detail"] else { Issue.record("no detail"); return }
        #expect(detail.contains("item count 21 does not match"))
        #expect(service.registry.current?.versions.text == "aaaaaaaaaaaa")
        #expect(await service.call(.put, "/adapters", json: #"{"path": "\#(root.path)/missing"}"#, headers: admin).status.code == 422)
        #expect(await service.call(.put, "/adapters", json: #"{"path": 3}"#, headers: admin).status.code == 400)
        #expect(service.metrics.adapterSwaps.value(["failed"]) == 1)
    }
}

import Foundation
