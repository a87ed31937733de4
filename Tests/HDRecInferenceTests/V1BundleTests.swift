// The committed default bundle (artifacts/default, format 2 since the default recipe) loads
// with every hash checked and, over SmolLM2 when `make models` has fetched it, recommends
// exactly what it recommended when it was exported (golden top 5 recorded at export:
// `hdrec recommend --bundle artifacts/default --history 0 1 2 --k 5 --explain`), so a change
// that alters what `make serve` answers is seen. Format 2 keeps reading format 1: a
// version-1 manifest written today loads (the format-1 default bundle that this file first
// pinned was served the same way before it was replaced).
import Foundation
import Testing
@testable import HDRecInference

@Suite("The committed bundle serves as exported; format-1 bundles keep loading", .serialized)
struct V1BundleTests {
    static let bundle = FixturePaths.packageRoot.appendingPathComponent("artifacts/default").path

    /// SmolLM2 from models/ (make models), else ../shared; nil when neither has it.
    static let smolLM2: String? = {
        let local = FixturePaths.packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        if FileManager.default.fileExists(atPath: local) { return local }
        return FixturePaths.shared("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")?.path
    }()

    @Test("artifacts/default is format 2 and loads: factorized IPL, SASRec-anchored ID pass with its checkpoint, every hash checked")
    func committedBundleLoads() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.bundle + "/manifest.json"))
        let manifest = try BundleManifest.decode(data, path: "manifest.json")
        #expect(manifest.formatVersion == 2)
        let contents = try BundleContents.load(directory: Self.bundle, runningBaseSHA256: manifest.base.sha256)
        #expect(contents.manifest == manifest)
        #expect(contents.heads.ipl.form == .factorized && contents.heads.idGate != nil && contents.sasrecModel != nil)
        #expect(contents.heads.dimensions == manifest.dimensions && manifest.dimensions.iplForm == .factorized)
        #expect(contents.catalog.count == 4344)
    }

    @Test("artifacts/default over SmolLM2 recommends the golden top 5 recorded at export (needs make models)",
          .enabled(if: smolLM2 != nil, "SmolLM2 GGUF not found in models/ or ../shared (run `make models`)"))
    func committedBundleServesUnchanged() throws {
        let base = try #require(Self.smolLM2)
        let loaded = try HDRecModel.load(bundle: Self.bundle, basePath: base)
        let history = try loaded.contents.catalog.indices(of: ["0", "1", "2"])
        let answer = try loaded.model.recommend([RecommendationRequest(history: history, k: 5, explain: true)])[0]
        let golden: [(id: String, score: Float, text: Float, idBoost: Float)] = [
            ("1839", 13.339666, 6.976918, 6.3627477), ("2", 13.206221, 6.6868944, 6.5193257),
            ("388", 10.874695, 6.2761383, 4.598556), ("250", 10.566698, 4.70603, 5.860668),
            ("493", 10.000868, 5.7218966, 4.2789717),
        ]
        #expect(answer.fusion == .textDominant && answer.alpha == 0.3)
        #expect(answer.items.map { loaded.contents.catalog.items[$0.index].id } == golden.map(\.id))
        for (got, want) in zip(answer.items, golden) {
            #expect(abs(got.score - want.score) <= 1e-4 * abs(want.score), "\(want.id) score")
            #expect(abs((got.textScore ?? .nan) - want.text) <= 1e-4 * max(1, abs(want.text)), "\(want.id) text score")
            #expect(abs((got.idBoost ?? .nan) - want.idBoost) <= 1e-4 * abs(want.idBoost), "\(want.id) ID boost")
        }
    }

    @Test("a bundle whose manifest says version 1 loads as before; versions outside 1...2 are refused")
    func versionOneManifest() throws {
        let t = try TinyBundle()
        defer { t.cleanup() }
        let (dir, written) = try t.write(copyBase: false)
        #expect(written.formatVersion == 2)
        try editManifest(dir + "/" + BundleLayout.manifest) { $0["format_version"] = 1 }
        let b = try BundleContents.load(directory: dir, basePath: t.basePath)
        #expect(b.manifest.formatVersion == 1 && b.heads == t.heads && b.sasrecModel == nil)
        for bad in [0, 3] {
            try editManifest(dir + "/" + BundleLayout.manifest) { $0["format_version"] = bad }
            #expect(throws: HDRecInferenceError.malformedFile(path: dir + "/manifest.json", field: "format_version",
                                                           problem: "this build reads versions 1 to 2, found \(bad)")) {
                try BundleContents.load(directory: dir, basePath: t.basePath)
            }
        }
    }
}
