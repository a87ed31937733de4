// The page for people (docs/service.md "The page (GET /)"): GET / and its two assets, served from bytes compiled
// into the binary (WebAssets.swift, generated from Web/ by Tools/embed_web.py), so the
// server needs no files beside it and a moved binary still serves the page.
//
// Every answer is built once, at first use: the assets never change while the process
// runs, so a request costs a lookup and an ETag comparison, which is why the routes are
// `onInline` (answered on the I/O thread, no task). Headers:
//   - Content-Security-Policy: scripts and styles only from this origin's files (no
//     inline script or style, no eval), fetches only to this origin, no framing. The page
//     sets bar widths through the CSSOM (element.style.width), which CSP allows.
//   - X-Content-Type-Options: nosniff, so a script is run only when served as one.
//   - Cache-Control: no-cache with a weak ETag (the sha256 of the bytes): browsers
//     revalidate and get 304 until a new binary serves new bytes. Weak because gzip
//     changes the bytes on the wire, not the content.
import Foundation
import HTTP
import Support

enum WebUI {
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    struct Asset: Sendable {
        let path: String
        let body: [UInt8]
        let headers: HTTPHeaders
        var etag: String { headers["ETag"] ?? "" }
    }

    /// The route paths and their prebuilt answers.
    static let assets: [Asset] = WebAssets.files.map { file in
        let body = Array(file.text.utf8)
        var hasher = SHA256()
        hasher.update(body)
        let etag = "W/\"" + String(SHA256.hexString(hasher.finalize()).prefix(16)) + "\""
        return Asset(path: file.path, body: body, headers: HTTPHeaders([
            ("Content-Type", file.contentType),
            ("Content-Security-Policy", contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-cache"),
            ("ETag", etag),
        ]))
    }

    /// Adds GET / and the asset routes.
    static func register(on router: inout Router) {
        for asset in assets {
            router.onInline(.get, asset.path) { req, _ in respond(asset, to: req) }
        }
    }

    static func respond(_ asset: Asset, to req: HTTPRequest) -> HTTPResponse {
        if let tags = req.headers["If-None-Match"], matches(tags, asset.etag) {
            return HTTPResponse(status: HTTPStatus(code: 304), headers: asset.headers)
        }
        return HTTPResponse(status: .ok, headers: asset.headers, body: asset.body)
    }

    /// If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag
    /// equal to ours once a `W/` prefix is set aside.
    static func matches(_ header: String, _ etag: String) -> Bool {
        let ours = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        return header.split(separator: ",").contains { raw in
            let tag = raw.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == ours
        }
    }
}
