// SIGHUP reload and --watch: re-applying the directory last applied, and following a
// `current` symlink that operators flip, through the same validation as PUT /adapters.
import Foundation
import HTTP
import Testing
@testable import Service

@Suite("reload and --watch")
struct ReloadWatchTests {
    @Test("reload re-applies the directory last applied, through validation")
    func reload() async throws {
        let root = TestRoot()
        let artifacts = root.bundle("v1", TestSpec())
        var config = ServiceConfig(artifacts: artifacts, adapterRoot: root.path)
        config.server.port = 0
        let app = try ServiceApp(config: config, loader: TestLoader(), logger: quietLogger())
        try app.start()
        defer { app.shutdown() }
        // The directory changes on disk; SIGHUP picks it up.
        root.bundle("v1", TestSpec(text: "999999999999", seed: 9))
        await app.reload()
        #expect(app.service.registry.current?.versions.text == "999999999999")
        #expect(app.service.metrics.adapterSwaps.value(["ok"]) == 1)
    }

    @Test("--watch follows a flipped symlink, skips the version already serving, and does not retry a rejected one")
    func watchSymlink() async throws {
        let root = TestRoot()
        let v1 = root.bundle("v1", TestSpec())
        root.bundle("v2", TestSpec(text: "cccccccccccc", seed: 2))
        root.bundle("bad", TestSpec(text: "dddddddddddd", items: 7))
        let current = root.path + "/current"
        try FileManager.default.createSymbolicLink(atPath: current, withDestinationPath: v1)
        let service = try makeService(root: root)
        let watcher = AdapterWatcher(directory: current, interval: 60, registry: service.registry, logger: quietLogger(),
                                     servingDirectory: v1)
        await offPool { watcher.pollOnce() }  // blocking: keep it off the cooperative pool
        #expect(service.metrics.adapterSwaps.value(["ok"]) == 0, "the serving version must not be re-applied")

        try FileManager.default.removeItem(atPath: current)
        try FileManager.default.createSymbolicLink(atPath: current, withDestinationPath: root.path + "/v2")
        await offPool { watcher.pollOnce() }  // blocking: keep it off the cooperative pool
        #expect(service.registry.current?.versions.text == "cccccccccccc")

        try FileManager.default.removeItem(atPath: current)
        try FileManager.default.createSymbolicLink(atPath: current, withDestinationPath: root.path + "/bad")
        await offPool { watcher.pollOnce() }  // blocking: keep it off the cooperative pool
        await offPool { watcher.pollOnce() }  // blocking: keep it off the cooperative pool
        #expect(service.registry.current?.versions.text == "cccccccccccc", "a rejected version leaves the pair serving")
        #expect(service.metrics.adapterSwaps.value(["failed"]) == 1, "and is not retried until it changes")
    }
}
