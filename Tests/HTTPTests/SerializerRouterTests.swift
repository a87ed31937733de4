// Serializer exact bytes, problem+json shape, router 404/405/params (JSON itself: Tests/JSONTests).
import Testing
@testable import HTTP

@Suite("serializer, problems, router")
struct SerializerRouterTests {
    @Test("serializes exact bytes and keeps Content-Length consistent with the body")
    func exactBytes() {
        var r = HTTPResponse.text("hi")
        r.headers.add("Content-Length", "999")   // must be replaced
        r.headers.add("X-Request-Id", "abc")
        let bytes = HTTPSerializer.serialize(r, keepAlive: true)
        #expect(String(decoding: bytes, as: UTF8.self) ==
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nX-Request-Id: abc\r\nContent-Length: 2\r\n\r\nhi")
        let closing = HTTPSerializer.serialize(HTTPResponse(status: .noContent), keepAlive: false)
        #expect(String(decoding: closing, as: UTF8.self) == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    }

    @Test("writes Content-Length and status digits exactly", arguments: [0, 1, 9, 10, 99, 100, 1000, 65_536, 1_048_577])
    func lengths(length: Int) {
        let bytes = HTTPSerializer.serialize(HTTPResponse(status: .init(code: 299), body: [UInt8](repeating: 65, count: length)), keepAlive: true)
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 299 "))
        #expect(text.contains("\r\nContent-Length: \(length)\r\n\r\n"))
    }

    @Test("omits the body of a HEAD response but keeps its length")
    func headResponse() {
        let bytes = HTTPSerializer.serialize(.text("hello"), keepAlive: true, headRequest: true)
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("Content-Length: 5\r\n\r\n"))
    }

    @Test("strips CR and LF from header values so responses cannot be split")
    func noResponseSplitting() {
        var r = HTTPResponse()
        r.headers.add("X-Echo", "a\r\nSet-Cookie: evil")
        let text = String(decoding: HTTPSerializer.serialize(r, keepAlive: true), as: UTF8.self)
        #expect(text.contains("X-Echo: aSet-Cookie: evil\r\n"))
    }

    @Test("renders RFC 9457 problem+json with extensions")
    func problemShape() {
        let p = Problem(status: .unprocessableContent, detail: "unknown item ids", extensions: [("unknown_ids", .array([.string("x")]))])
        let r = p.response
        #expect(r.status.code == 422)
        #expect(r.headers["Content-Type"] == "application/problem+json")
        #expect(r.bodyText == #"{"type":"about:blank","title":"Unprocessable Content","status":422,"detail":"unknown item ids","unknown_ids":["x"]}"#)
    }

    private func router() -> Router {
        var r = Router()
        r.on(.get, "/adapters") { _, _ in .text("list") }
        r.on(.put, "/adapters") { _, _ in .text("put") }
        r.on(.get, "/items/:id") { _, c in .text("item \(c.parameters["id"] ?? "?")") }
        r.on(.get, "/items/special") { _, _ in .text("special") }
        return r
    }

    @Test("routes by method and path, binding parameters, preferring literal segments")
    func routing() async {
        let r = router()
        #expect(await r.respond(to: HTTPRequest(method: .put, target: "/adapters"), context: RequestContext()).bodyText == "put")
        #expect(await r.respond(to: HTTPRequest(method: .get, target: "/items/42?x"), context: RequestContext()).bodyText == "item 42")
        #expect(await r.respond(to: HTTPRequest(method: .get, target: "/items/special"), context: RequestContext()).bodyText == "special")
        #expect(await r.respond(to: HTTPRequest(method: .head, target: "/adapters"), context: RequestContext()).bodyText == "list")
    }

    @Test("routes a literal path written non-canonically as its canonical form, and the first of two equal routes")
    func literalIndex() async {
        var r = router()
        r.on(.get, "/adapters") { _, _ in .text("second") }
        for target in ["/adapters", "/adapters/", "//adapters", "/adapters?x=1"] {
            #expect(await r.respond(to: HTTPRequest(method: .get, target: target), context: RequestContext()).bodyText == "list")
        }
        guard case .found(let route, let parameters) = r.match(method: .head, path: "/items/special") else {
            Issue.record("HEAD /items/special did not match")
            return
        }
        #expect(route.pattern == "/items/special" && parameters.isEmpty)
        #expect(r.routeLabel(method: .post, path: "/adapters") == "/adapters")
        #expect(r.routeLabel(method: .get, path: "/adapters/x/y") == "unmatched")
    }

    @Test("answers unknown paths with 404 and wrong methods with 405 and Allow")
    func notFoundAndMethodNotAllowed() async {
        let r = router()
        let nf = await r.respond(to: HTTPRequest(method: .get, target: "/nope"), context: RequestContext())
        #expect(nf.status.code == 404)
        #expect(nf.headers["Content-Type"] == "application/problem+json")
        let na = await r.respond(to: HTTPRequest(method: .delete, target: "/adapters"), context: RequestContext())
        #expect(na.status.code == 405)
        #expect(na.headers["Allow"] == "GET, HEAD, PUT")
    }
}
