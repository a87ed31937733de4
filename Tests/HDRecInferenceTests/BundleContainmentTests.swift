// Containment (docs/service.md "Containment"): with a BundleContainment, every file a bundle load opens
// must resolve under the root. Each file of a complete bundle (every kind: manifest,
// catalog, heads, SASRec table and model, a bundled base, the adapters/ directory and
// each adapter's two files) is in turn moved outside the root and linked back; the load
// must refuse it with an error naming that file and where the link points, with checksum
// verification on (the hashing opens) and off (the loaders' opens). Each case first loads
// the same bundle without containment, so the refusal is the containment's and not a
// broken link's. Links that stay inside the root, and the operator's own base outside it,
// still load.
import Foundation
import Testing
@testable import HDRecInference

@Suite("Bundle containment under a root")
struct BundleContainmentTests {
    /// root/bundle: a complete format-2 bundle with its base copied in; outside/: beside root.
    final class Layout {
        let top: String
        let root: String
        let bundle: String
        let outside: String
        let source: AnchoredStoriesBundle

        init() throws {
            source = try AnchoredStoriesBundle(gate: 0.5)
            top = source.root + "/containment"
            root = top + "/root"
            bundle = root + "/bundle"
            outside = top + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            _ = try BundleWriter.write(
                to: bundle,
                sources: BundleSources(heads: source.heads, sasrec: AnchoredStoriesBundle.table(source.sasrecModel),
                                       catalog: source.catalog, textAdapterDirectory: source.root + "/src/text",
                                       idAdapterDirectory: source.root + "/src/id", basePath: Stories.ggufPath, copyBase: true,
                                       baseLayers: 5, sasrecModelPath: source.sasrecPath),
                dataset: .init(name: "stories-anchored", itemCount: AnchoredStoriesBundle.items), prompt: PromptConfiguration(),
                fusion: .init(alpha: 0.5), command: "BundleContainmentTests")
        }

        deinit { source.cleanup() }

        /// Moves `relative` (a file or directory of the bundle) to `directory` and links it back.
        func relocate(_ relative: String, to directory: String) throws {
            let target = directory + "/" + relative.replacingOccurrences(of: "/", with: "_")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: bundle + "/" + relative, toPath: target)
            try FileManager.default.createSymbolicLink(atPath: bundle + "/" + relative, withDestinationPath: target)
        }
    }

    static let files = [
        BundleLayout.manifest, BundleLayout.catalog, BundleLayout.heads, BundleLayout.sasrec, BundleLayout.sasrecModel,
        BundleLayout.base, "adapters",
        BundleLayout.textAdapter + "/" + BundleLayout.adapterConfig, BundleLayout.textAdapter + "/" + BundleLayout.adapterWeights,
        BundleLayout.idAdapter + "/" + BundleLayout.adapterConfig, BundleLayout.idAdapter + "/" + BundleLayout.adapterWeights,
    ]

    @Test("a bundle file linked outside the root is refused, naming that file and the link's target",
          arguments: files, [true, false])
    func escapingLinkIsRefused(file: String, verifyChecksums: Bool) throws {
        let layout = try Layout()
        try layout.relocate(file, to: layout.outside)
        // The control: the link itself is sound, so an unconfined load follows it.
        _ = try HDRecModel.load(bundle: layout.bundle, verifyChecksums: verifyChecksums)
        let containment = try BundleContainment(root: layout.root)
        let error = #expect(throws: HDRecInferenceError.self) {
            try HDRecModel.load(bundle: layout.bundle, verifyChecksums: verifyChecksums, containment: containment)
        }
        guard case let .outsideRoot(path, resolved, link, target, root)? = error else {
            Issue.record("expected outsideRoot, got \(String(describing: error))")
            return
        }
        // The link is the file itself, or (adapters/) the directory on its path.
        #expect(link?.hasSuffix("/bundle/" + file) == true, "link \(String(describing: link)) for \(file)")
        #expect(path.contains("/bundle/" + file), "path \(path)")
        #expect(target?.hasPrefix(layout.outside) == true && resolved.contains("/containment/outside/"))
        #expect(root == containment.root)
        let message = error?.description ?? ""
        #expect(message.contains(file) && message.contains(layout.outside) && message.contains("outside the adapter root"), "\(message)")
    }

    @Test("/etc/passwd as catalog.jsonl is never read under containment")
    func catalogLinkedToSystemFile() throws {
        let layout = try Layout()
        try FileManager.default.removeItem(atPath: layout.bundle + "/" + BundleLayout.catalog)
        try FileManager.default.createSymbolicLink(atPath: layout.bundle + "/" + BundleLayout.catalog, withDestinationPath: "/etc/passwd")
        let containment = try BundleContainment(root: layout.root)
        for verify in [true, false] {
            let error = #expect(throws: HDRecInferenceError.self) {
                try BundleContents.load(directory: layout.bundle, verifyChecksums: verify, containment: containment)
            }
            #expect(error?.description.contains("catalog.jsonl is a symbolic link to /etc/passwd") == true, "\(String(describing: error))")
        }
    }

    @Test("links that stay inside the root load, and give the same contents")
    func linksInsideTheRootLoad() throws {
        let layout = try Layout()
        let shared = layout.root + "/shared"
        for file in ["adapters", BundleLayout.catalog, BundleLayout.heads, BundleLayout.base] {
            try layout.relocate(file, to: shared)
        }
        // A relative link as well: bundle/sasrec.safetensors -> ../shared/sasrec.
        try FileManager.default.moveItem(atPath: layout.bundle + "/" + BundleLayout.sasrec, toPath: shared + "/sasrec")
        try FileManager.default.createSymbolicLink(atPath: layout.bundle + "/" + BundleLayout.sasrec, withDestinationPath: "../shared/sasrec")
        let containment = try BundleContainment(root: layout.root)
        let loaded = try HDRecModel.load(bundle: layout.bundle, containment: containment)
        let plain = try HDRecModel.load(bundle: layout.source.dir, basePath: Stories.ggufPath)
        #expect(loaded.contents.catalog.items == plain.contents.catalog.items)
        #expect(loaded.contents.sasrec == plain.contents.sasrec)
        #expect(loaded.contents.textAdapterPath.hasPrefix(containment.root + "/shared/"))
        let histories = [[1, 2, 3], [4]]
        #expect(try loaded.model.passScores(histories: histories).text == (try plain.model.passScores(histories: histories).text))
    }

    @Test("the operator's base outside the root is configuration, not bundle content: it loads")
    func operatorBaseOutsideTheRoot() throws {
        let layout = try Layout()
        let referencing = layout.root + "/referencing"
        _ = try layout.source.write(to: referencing, sasrecModelPath: layout.source.sasrecPath)
        let containment = try BundleContainment(root: layout.root)
        #expect(!Stories.ggufPath.hasPrefix(containment.root))
        let loaded = try HDRecModel.load(bundle: referencing, basePath: Stories.ggufPath, containment: containment)
        #expect(loaded.contents.basePath == Stories.ggufPath)
    }

    @Test("a bundle directory that is itself a link out of the root is refused")
    func bundleDirectoryLinkedOut() throws {
        let layout = try Layout()
        try FileManager.default.moveItem(atPath: layout.bundle, toPath: layout.outside + "/bundle")
        try FileManager.default.createSymbolicLink(atPath: layout.bundle, withDestinationPath: layout.outside + "/bundle")
        let error = #expect(throws: HDRecInferenceError.self) {
            try BundleContents.load(directory: layout.bundle, containment: try BundleContainment(root: layout.root))
        }
        #expect(error?.description.contains("/root/bundle is a symbolic link to \(layout.outside)/bundle") == true, "\(String(describing: error))")
    }
}
