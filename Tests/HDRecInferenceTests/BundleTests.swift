// Bundles written by BundleWriter load back through BundleContents, with every
// check firing on a corrupted copy. The adapters here are placeholder files
// (BundleContents does not parse them; the end-to-end test uses real ones).
import Foundation
import Testing
import Support
@testable import HDRecInference

struct TinyBundle {
    let root: String
    let heads: HDRecHeads
    let catalog: Catalog
    let sasrec: [Float]

    init() throws {
        root = NSTemporaryDirectory() + "hdrec-bundle-\(UUID().uuidString)"
        heads = try HDRecHeads(tensors: try HeadsGolden.load().named, file: "golden")
        let d = heads.dimensions
        catalog = try Catalog(items: (0 ..< d.itemCount).map { CatalogItem(id: "I\($0)", title: "Item \($0)") })
        var g = SplitMix(seed: 11)
        sasrec = (0 ..< (d.itemCount + 1) * d.sasrecWidth).map { _ in g.float() }
        for name in ["text", "id"] {
            let dir = root + "/src/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try "{\"r\": 8, \"name\": \"\(name)\"}".write(toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
            try "weights of \(name)".write(toFile: dir + "/adapter_model.safetensors", atomically: true, encoding: .utf8)
        }
        try "GGUF stand-in".write(toFile: root + "/src/base.gguf", atomically: true, encoding: .utf8)
    }

    /// A stand-in base file: BundleContents only hashes it (the end-to-end test runs a real one).
    var basePath: String { root + "/src/base.gguf" }

    func write(copyBase: Bool, to name: String = "bundle") throws -> (String, BundleManifest) {
        let sources = BundleSources(heads: heads, sasrec: sasrec, catalog: catalog, textAdapterDirectory: root + "/src/text",
                                    idAdapterDirectory: root + "/src/id", basePath: basePath, copyBase: copyBase, baseLayers: 5)
        let dir = root + "/" + name
        let m = try BundleWriter.write(to: dir, sources: sources, dataset: .init(name: "tiny", itemCount: heads.dimensions.itemCount),
                                       prompt: PromptConfiguration(), fusion: .init(alpha: 0.4),
                                       metrics: ["valid": ["NDCG@10": 0.5]], command: "test")
        return (dir, m)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("Bundle write and load")
struct BundleTests {
    @Test("a written bundle loads back; versions are the adapters' sha256 prefixes")
    func roundTrip() throws {
        let t = try TinyBundle()
        defer { t.cleanup() }
        for copyBase in [true, false] {
            let (dir, m) = try t.write(copyBase: copyBase, to: "b\(copyBase)")
            let b = try BundleContents.load(directory: dir, basePath: copyBase ? nil : t.basePath)
            #expect(b.manifest == m)
            #expect(b.heads == t.heads && b.catalog == t.catalog && b.sasrec == t.sasrec)
            #expect(b.basePath == (copyBase ? dir + "/base.gguf" : t.basePath))
            let running = try BundleContents.load(directory: dir, runningBaseSHA256: m.base.sha256)
            #expect(running.basePath == nil)
            #expect(throws: HDRecInferenceError.self) { try BundleContents.load(directory: dir, runningBaseSHA256: String(repeating: "0", count: 64)) }
            let textHash = try SHA256.hex(ofFile: dir + "/adapters/text/adapter_model.safetensors")
            #expect(m.adapters.text.version == String(textHash.prefix(12)))
            #expect(m.base.sha256 == SHA256.hex(of: Data("GGUF stand-in".utf8)))
            #expect(m.files["base.gguf"] != nil || !copyBase)
            #expect(b.versions[.id] == m.adapters.id.version)
        }
    }

    @Test("corruptions are reported with the file")
    func corruption() throws {
        let t = try TinyBundle()
        defer { t.cleanup() }
        let (dir, _) = try t.write(copyBase: false)
        // No base given for a referencing bundle.
        #expect(throws: HDRecInferenceError.self) { try BundleContents.load(directory: dir) }
        do {
            _ = try BundleContents.load(directory: dir)
        } catch { #expect("\(error)".contains("base.bundled_path")) }
        // The wrong base.
        let wrong = t.root + "/src/text/adapter_config.json"
        #expect(throws: HDRecInferenceError.self) { try BundleContents.load(directory: dir, basePath: wrong) }
        // A changed heads file.
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/heads.safetensors"))
        do {
            _ = try BundleContents.load(directory: dir, basePath: t.basePath)
            Issue.record("expected a checksum error")
        } catch let HDRecInferenceError.checksumMismatch(path, _, _) {
            #expect(path == dir + "/heads.safetensors")
        }
        // Without checksum verification the content checks still catch it.
        #expect(throws: HDRecInferenceError.self) { try BundleContents.load(directory: dir, basePath: t.basePath, verifyChecksums: false) }
        // A missing manifest.
        #expect(throws: HDRecInferenceError.missingFile(path: t.root + "/nothing/manifest.json")) {
            try BundleContents.load(directory: t.root + "/nothing")
        }
    }

    @Test("a catalog that disagrees with the heads is refused")
    func catalogMismatch() throws {
        let t = try TinyBundle()
        defer { t.cleanup() }
        let (dir, _) = try t.write(copyBase: false)
        let fewer = try Catalog(items: Array(t.catalog.items.dropLast()))
        try fewer.write(to: dir + "/catalog.jsonl")
        #expect(throws: HDRecInferenceError.inconsistent(field: "\(dir)/catalog.jsonl lines vs dimensions.item_count", expected: "9", found: "8")) {
            try BundleContents.load(directory: dir, basePath: t.basePath, verifyChecksums: false)
        }
    }
}
