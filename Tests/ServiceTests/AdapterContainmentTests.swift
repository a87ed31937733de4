// Containment (docs/service.md "Containment") through PUT /adapters: a bundle under --adapter-root whose adapters/
// is a link to a directory outside the root, or whose catalog.jsonl is a link to
// /etc/passwd, was accepted (only the top-level directory was resolved). Now the swap
// is refused with 422 naming the file and where its link points, and the old pair keeps
// serving; re-applying the same directory (SIGHUP) keeps the containment it was applied
// under. The per-file cases are in HDRecInferenceTests' BundleContainmentTests.
import Foundation
import HTTP
@testable import HDRecInference
import Testing
@testable import Service

@Suite("PUT /adapters containment")
struct AdapterContainmentTests {
    /// A second root beside the adapter root, for link targets outside it.
    static func outside(_ root: TestRoot) throws -> String {
        let dir = root.path + "-outside"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("adapters/ linked to a directory outside the root: 422 naming it, the old pair keeps serving")
    func adaptersDirectoryOutside() async throws {
        let root = TestRoot()
        let outside = try Self.outside(root)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let v1 = try HDRecEngineTests.bundle(root, "v1", seed: 1)
        let v2 = try HDRecEngineTests.bundle(root, "v2", seed: 2)
        try FileManager.default.moveItem(atPath: v2 + "/adapters", toPath: outside + "/adapters")
        try FileManager.default.createSymbolicLink(atPath: v2 + "/adapters", withDestinationPath: outside + "/adapters")
        let service = try HDRecEngineTests.service(root, artifacts: v1)
        let before = try #require(service.registry.current).versions

        let r = await service.call(.put, "/adapters", json: #"{"path": "v2"}"#, headers: admin)
        #expect(r.status.code == 422)
        guard case .string(let detail)? = r.json["detail"] else { Issue.record("no detail in \(r.json)"); return }
        #expect(detail.contains("v2/adapters is a symbolic link to \(outside)/adapters"), "\(detail)")
        #expect(detail.contains("outside the adapter root"), "\(detail)")
        #expect(service.registry.current?.versions == before)
    }

    @Test("catalog.jsonl linked to /etc/passwd: refused before it is read")
    func catalogIsPasswd() async throws {
        let root = TestRoot()
        let v1 = try HDRecEngineTests.bundle(root, "v1", seed: 1)
        let v2 = try HDRecEngineTests.bundle(root, "v2", seed: 2)
        try FileManager.default.removeItem(atPath: v2 + "/catalog.jsonl")
        try FileManager.default.createSymbolicLink(atPath: v2 + "/catalog.jsonl", withDestinationPath: "/etc/passwd")
        let service = try HDRecEngineTests.service(root, artifacts: v1)
        let r = await service.call(.put, "/adapters", json: #"{"path": "v2"}"#, headers: admin)
        #expect(r.status.code == 422)
        guard case .string(let detail)? = r.json["detail"] else { Issue.record("no detail in \(r.json)"); return }
        #expect(detail.contains("catalog.jsonl is a symbolic link to /etc/passwd"), "\(detail)")
        #expect(!detail.contains("root:"), "nothing of /etc/passwd is echoed: \(detail)")
    }

    @Test("a directory applied through PUT keeps its containment when applied again (SIGHUP) and on rollback")
    func containmentIsRemembered() async throws {
        let root = TestRoot()
        let outside = try Self.outside(root)
        defer { try? FileManager.default.removeItem(atPath: outside) }
        let v1 = try HDRecEngineTests.bundle(root, "v1", seed: 1)
        let v2 = try HDRecEngineTests.bundle(root, "v2", seed: 2)
        let v3 = try HDRecEngineTests.bundle(root, "v3", seed: 3)
        let service = try HDRecEngineTests.service(root, artifacts: v1)
        #expect(await service.call(.put, "/adapters", json: #"{"path": "v2"}"#, headers: admin).status.code == 200)
        #expect(await service.call(.put, "/adapters", json: #"{"path": "v3"}"#, headers: admin).status.code == 200)
        // v2 and v3 now change on disk to lead out of the root.
        for dir in [v2, v3] {
            let heads = dir + "/heads.safetensors"
            let target = outside + "/" + (dir as NSString).lastPathComponent + "-heads.safetensors"
            try FileManager.default.moveItem(atPath: heads, toPath: target)
            try FileManager.default.createSymbolicLink(atPath: heads, withDestinationPath: target)
        }
        let current = try #require(service.registry.currentDirectory)
        let reload = await #expect(throws: HDRecInferenceError.self) { try await service.registry.apply(directory: current) }
        #expect(reload?.description.contains("heads.safetensors is a symbolic link to \(outside)/v3-heads.safetensors") == true,
                "\(String(describing: reload))")
        let rollback = await service.call(.post, "/adapters/rollback", headers: admin)
        #expect(rollback.status.code == 422, "\(rollback.json)")
    }
}
