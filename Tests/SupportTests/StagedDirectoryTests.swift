// StagedDirectory (what `hdrec export` publishes through): a directory is published whole or
// not at all. A non-empty destination is refused unless replacing; replacing swaps the
// old one out whole; a failure part-way (an injected ENOSPC) leaves the old directory as
// it was and no temporary sibling; siblings a killed run left are cleaned (or, for the
// old copy of an interrupted fallback replace, put back) by the next publish.
import Foundation
import Support
import Testing

@Suite("Staged directory publish")
struct StagedDirectoryTests {
    final class Root {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-staged-\(UUID().uuidString)").path
        var out: String { path + "/bundle" }
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// Entries beside `out` (temporary siblings show up here).
        var siblings: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != "bundle" }.sorted() }
        func read(_ name: String) -> String? { try? String(contentsOfFile: out + "/" + name, encoding: .utf8) }
        var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted() }
    }

    /// Writes files a..d of `size` bytes, each tagged with `tag`, the way the bundle writer does (AtomicFile).
    static func write(_ tag: String, into dir: String, size: Int = 1000) throws {
        for name in ["a", "b", "c", "d"] {
            try AtomicFile.write(String(repeating: tag, count: size), to: dir + "/" + name)
        }
    }

    @Test("a new destination is published; a non-empty one is refused without replace and left alone")
    func refusesNonEmpty() throws {
        let root = try Root()
        try StagedDirectory.publish(to: root.out, replace: false) { try Self.write("o", into: $0) }
        #expect(root.files == ["a", "b", "c", "d"] && root.read("a") == String(repeating: "o", count: 1000))
        #expect(root.siblings.isEmpty)
        #expect(throws: SupportError.destinationNotEmpty(path: root.out, entries: 4)) {
            try StagedDirectory.publish(to: root.out, replace: false) { try Self.write("n", into: $0) }
        }
        #expect(root.read("d") == String(repeating: "o", count: 1000))
        #expect(root.siblings.isEmpty)
        // An empty directory is not "non-empty": it is replaced.
        try FileManager.default.createDirectory(atPath: root.path + "/empty", withIntermediateDirectories: false)
        try StagedDirectory.publish(to: root.path + "/empty", replace: false) { try Self.write("e", into: $0) }
        #expect(FileManager.default.fileExists(atPath: root.path + "/empty/a"))
    }

    @Test("replace swaps the whole directory: no old file survives, no sibling is left")
    func replaces() throws {
        let root = try Root()
        try StagedDirectory.publish(to: root.out, replace: false) { try Self.write("o", into: $0) }
        try AtomicFile.write("stale", to: root.out + "/only-in-old")
        try StagedDirectory.publish(to: root.out, replace: true) { try Self.write("n", into: $0) }
        #expect(root.files == ["a", "b", "c", "d"])
        #expect(root.read("c") == String(repeating: "n", count: 1000))
        #expect(root.siblings.isEmpty, "\(root.siblings)")
    }

    @Test("a write failing part-way (ENOSPC after N bytes) leaves the old directory intact and no temporary directory",
          arguments: [0, 500, 1500, 3999])
    func faultLeavesOld(afterBytes: Int) throws {
        let root = try Root()
        try StagedDirectory.publish(to: root.out, replace: false) { try Self.write("o", into: $0) }
        AtomicFile.injectFault(under: root.path, afterBytes: afterBytes)
        defer { AtomicFile.injectFault(under: root.path, afterBytes: nil) }
        let error = #expect(throws: AtomicFileError.self) {
            try StagedDirectory.publish(to: root.out, replace: true) { try Self.write("n", into: $0) }
        }
        // The file that could not be written is named, with the cause.
        guard case let .writeFailed(path, code)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(code == ENOSPC && path.contains(".bundle.tmp-\(getpid())/"), "\(path)")
        #expect(error?.description.contains("No space left on device") == true)
        #expect(root.files == ["a", "b", "c", "d"])
        #expect(["a", "b", "c", "d"].allSatisfy { root.read($0) == String(repeating: "o", count: 1000) })
        #expect(root.siblings.isEmpty, "\(root.siblings)")
    }

    @Test("siblings left by a killed run are removed; an interrupted fallback replace gets its old directory back")
    func recoversAfterKill() throws {
        let root = try Root()
        // A dead writer's temporary directory and, with no destination, its moved-aside old one.
        let dead: pid_t = 999_999_9
        #expect(kill(dead, 0) != 0)
        try FileManager.default.createDirectory(atPath: root.path + "/.bundle.tmp-\(dead)", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: root.path + "/.bundle.old-\(dead)", withIntermediateDirectories: false)
        try Self.write("o", into: root.path + "/.bundle.old-\(dead)")
        // A live process's temporary directory is not touched (another export in progress).
        let live = root.path + "/.bundle.tmp-\(getppid())"
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: false)
        let error = #expect(throws: SupportError.self) {
            try StagedDirectory.publish(to: root.out, replace: false) { try Self.write("n", into: $0) }
        }
        // The old bundle was put back, so the destination is non-empty again.
        #expect(error == .destinationNotEmpty(path: root.out, entries: 4))
        #expect(root.read("b") == String(repeating: "o", count: 1000))
        #expect(root.siblings == [".bundle.tmp-\(getppid())"])
    }
}
