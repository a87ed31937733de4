// The page at GET / (docs/service.md "The page (GET /)"), in-process: its headers (a strict CSP, nosniff,
// revalidation with an ETag), HTML with no inline script or style, --no-ui, and the
// embedded copy (WebAssets.swift) equal to the files under Web/ (rerun
// Tools/embed_web.py when this fails).
import Foundation
import HTTP
import Testing
@testable import Service

@Suite("GET / (the page, in-process)")
struct WebUITests {
    let root = TestRoot()
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("serves the page and its assets with their types, a strict CSP, nosniff and an ETag")
    func headers() async throws {
        let service = try makeService(root: root)
        for (path, type) in [("/", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css")] {
            let r = await service.call(.get, path)
            #expect(r.status.code == 200, "\(path)")
            #expect(r.headers["Content-Type"]?.hasPrefix(type) == true, "\(path)")
            #expect(r.headers["X-Content-Type-Options"] == "nosniff")
            #expect(r.headers["Cache-Control"] == "no-cache")
            #expect(r.headers["ETag"]?.hasPrefix("W/\"") == true)
            let csp = try #require(r.headers["Content-Security-Policy"])
            for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
                #expect(csp.contains(directive), "\(directive) missing from \(csp)")
            }
            for loose in ["unsafe-inline", "unsafe-eval", "unsafe-hashes", "*", "http:", "https:"] {
                #expect(!csp.contains(loose), "\(loose) in \(csp)")
            }
            #expect(!r.body.isEmpty)
        }
        #expect(await service.call(.get, "/").bodyText == (try String(contentsOf: Self.repo.appendingPathComponent("Web/index.html"), encoding: .utf8)))
    }

    @Test("the HTML has no inline script, event handler or style, and loads only same-origin files")
    func noInlineCode() async throws {
        let html = await (try makeService(root: root)).call(.get, "/").bodyText
        // Every <script> has a src and nothing between its tags.
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 1)
        for s in scripts {
            let tag = s.prefix { $0 != ">" }
            #expect(tag.contains("src=\"/ui/"), "script without a same-origin src: \(tag)")
            #expect(s.dropFirst(tag.count + 1).hasPrefix("</script>"), "inline code after \(tag)")
        }
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: [.regularExpression, .caseInsensitive]) == nil, "inline event handler")
        #expect(html.range(of: #"\sstyle\s*="#, options: [.regularExpression, .caseInsensitive]) == nil, "style attribute")
        #expect(!html.contains("<style"), "style element")
        #expect(!html.contains("javascript:"))
        #expect(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) == nil, "a file from elsewhere")
        let js = await (try makeService(root: root)).call(.get, "/ui/app.js").bodyText
        for banned in ["eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "localStorage", "sessionStorage", "setAttribute('style'"] {
            #expect(!js.contains(banned), "app.js uses \(banned)")
        }
    }

    @Test("If-None-Match with the current ETag is 304 without a body; another tag is 200")
    func revalidation() async throws {
        let service = try makeService(root: root)
        let first = await service.call(.get, "/ui/app.js")
        let etag = try #require(first.headers["ETag"])
        let again = await service.call(.get, "/ui/app.js", headers: [("If-None-Match", etag)])
        #expect(again.status.code == 304)
        #expect(again.body.isEmpty)
        #expect(again.headers["ETag"] == etag)
        #expect(await service.call(.get, "/ui/app.js", headers: [("If-None-Match", "\"other\", " + etag.dropFirst(2))]).status.code == 304)
        #expect(await service.call(.get, "/ui/app.js", headers: [("If-None-Match", "W/\"other\"")]).status.code == 200)
        #expect(await service.call(.get, "/", headers: [("If-None-Match", etag)]).status.code == 200, "each file has its own tag")
    }

    @Test("the page needs no API key (it asks for one), while the data routes do")
    func openPage() async throws {
        let service = try makeService(root: root, apiKeys: ["k1"])
        #expect(await service.call(.get, "/").status.code == 200)
        #expect(await service.call(.get, "/ui/app.js").status.code == 200)
        #expect(await service.call(.get, "/model").status.code == 401)
    }

    @Test("--no-ui: the page and its assets answer 404; the API is unchanged")
    func noUI() async throws {
        let service = try makeService(root: root, configure: { $0.webUI = false })
        for path in ["/", "/ui/app.js", "/ui/app.css"] {
            let r = await service.call(.get, path)
            #expect(r.status.code == 404, "\(path)")
            #expect(r.headers["Content-Type"] == "application/problem+json")
        }
        #expect(await service.call(.get, "/items?q=item").status.code == 200)
        #expect(service.router.table.count == 9)
    }

    @Test("WebAssets.swift embeds exactly the files under Web/ (else: python3 Tools/embed_web.py)")
    func embeddedCopyIsFresh() throws {
        let web = Self.repo.appendingPathComponent("Web")
        let files = try FileManager.default.contentsOfDirectory(atPath: web.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == WebAssets.files.map { String($0.source.dropFirst(4)) }.sorted())
        for asset in WebAssets.files {
            let onDisk = try Data(contentsOf: Self.repo.appendingPathComponent(asset.source))
            #expect(onDisk == Data(asset.text.utf8), "\(asset.source) differs from its embedded copy: run python3 Tools/embed_web.py")
        }
    }
}
