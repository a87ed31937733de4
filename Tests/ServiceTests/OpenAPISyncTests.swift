// Keeps openapi.yaml (the contract at the repository root) and the router's route table
// in sync: every (path, method) in one must be in the other. The YAML is read as text
// (paths are the 2-space-indented keys under `paths:`, methods the 4-space ones), so no
// YAML library is needed.
import Foundation
import HTTP
import Testing
@testable import Service

@Suite("openapi.yaml")
struct OpenAPISyncTests {
    static let specPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("openapi.yaml").path

    static func operations(_ yaml: String) -> [String] {
        var ops: [String] = []
        var inPaths = false
        var path: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = line.hasPrefix("paths:"); path = nil; continue }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(key)) { ops.append("\(key.uppercased()) \(path)") }
            }
        }
        return ops.sorted()
    }

    @Test("declares OpenAPI 3.1 and exactly the router's routes")
    func inSync() throws {
        let yaml = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        #expect(yaml.hasPrefix("openapi: 3.1"))
        let service = try makeService(root: TestRoot(), load: false)
        let routes = service.router.table.map { "\($0.method.rawValue) \($0.pattern)" }.sorted()
        #expect(Self.operations(yaml) == routes)
        #expect(routes.count == 12)  // 8 API routes, GET /items, the page and its two assets
    }

    @Test("lists every metric family the server exposes")
    func metricsDocumented() async throws {
        let yaml = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        let service = try makeService(root: TestRoot())
        let text = await service.call(.get, "/metrics").bodyText
        let families = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
        #expect(families.count == 16)
        for f in families { #expect(yaml.contains("`\(f)"), "\(f) missing from openapi.yaml") }
    }
}
