// `hdrec export` publishes its bundle through StagedDirectory. Here a
// real bundle (RandomBundle over stories260K, the `--random` path) is replaced while the
// disk "fills up" (an injected ENOSPC after N bytes) at points inside each kind of file:
// the old bundle must still load with every checksum verified, and no temporary
// directory may remain. Then an export without the fault replaces it completely.
import Foundation
import Support
import Testing
@testable import HDRecInference
import Workbench

@Suite("Export is atomic under write failures")
struct ExportAtomicityTests {
    static func catalog() throws -> Catalog {
        try Catalog(items: (0 ..< 12).map { CatalogItem(id: "i\($0)", title: "Story number \($0)") })
    }

    static func export(to out: String, seed: UInt64, replace: Bool) throws -> BundleManifest {
        try StagedDirectory.publish(to: out, replace: replace) { staging in
            try RandomBundle.write(to: staging, basePath: Stories.ggufPath, catalog: try catalog(), datasetName: "tiny",
                                   hidden: 16, rank: 2, copyBase: true, seed: seed, command: "test")
        }
    }

    @Test("a write failure mid-export leaves the old bundle loadable and no temporary directory")
    func faultMidExport() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-export-fault-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/bundle"
        let old = try Self.export(to: out, seed: 1, replace: false)
        let total = try FileManager.default.subpathsOfDirectory(atPath: out).reduce(0) { sum, name in
            sum + ((try? FileManager.default.attributesOfItem(atPath: out + "/" + name)[.size] as? Int) ?? 0)
        }
        // From the first byte to the last file (the manifest is written last).
        for fraction in [0.0, 0.02, 0.3, 0.6, 0.95, 0.999] {
            let budget = Int(Double(total) * fraction)
            AtomicFile.injectFault(under: root, afterBytes: budget)
            defer { AtomicFile.injectFault(under: root, afterBytes: nil) }
            let error = #expect(throws: AtomicFileError.self) { try Self.export(to: out, seed: 2, replace: true) }
            #expect(error?.description.contains("No space left on device") == true, "\(String(describing: error))")
            let contents = try BundleContents.load(directory: out)   // checksums verified
            #expect(contents.manifest.adapters == old.adapters, "after a fault at \(budget) of \(total) bytes")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["bundle"])
        }
        let new = try Self.export(to: out, seed: 2, replace: true)
        #expect(new.adapters != old.adapters)
        #expect(try BundleContents.load(directory: out).manifest.adapters == new.adapters)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["bundle"])
    }
}
