// Format 2 keeps reading format 1: the committed default bundle (artifacts/default, written
// as version 1) loads with every hash checked and, over SmolLM2 when `make models` has
// fetched it, recommends exactly what it recommended before format 2 existed (golden top 5
// recorded with the format-1 build: `hdrec recommend --bundle artifacts/default --history
// 0 1 2 --k 5 --explain`). A version-1 manifest written today loads too.
import Foundation
import Testing
@testable import Recommender

@Suite("Format-1 bundles keep loading and serving", .serialized)
struct V1BundleTests {
    static let bundle = FixturePaths.packageRoot.appendingPathComponent("artifacts/default").path

    /// SmolLM2 from models/ (make models), else ../shared; nil (with the reason printed) when neither has it.
    static var smolLM2: String? {
        let local = FixturePaths.packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
        if FileManager.default.fileExists(atPath: local) { return local }
        return FixturePaths.shared("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")?.path
    }

    @Test("artifacts/default is format 1 and loads: MLP IPL, no gate, no SASRec checkpoint, every hash checked")
    func committedBundleLoads() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.bundle + "/manifest.json"))
        let manifest = try BundleManifest.decode(data, path: "manifest.json")
        #expect(manifest.formatVersion == 1)
        let contents = try BundleContents.load(directory: Self.bundle, runningBaseSHA256: manifest.base.sha256)
        #expect(contents.manifest == manifest)
        #expect(contents.heads.ipl.form == .mlp && contents.heads.idGate == nil && contents.sasrecModel == nil)
        #expect(contents.heads.dimensions == manifest.dimensions && manifest.dimensions.iplForm == nil)
        #expect(contents.catalog.count == 4344)
    }

    @Test("artifacts/default over SmolLM2 recommends the golden top 5 of the format-1 build (needs make models)")
    func committedBundleServesUnchanged() throws {
        guard let base = Self.smolLM2 else { return }
        let loaded = try HDRecModel.load(bundle: Self.bundle, basePath: base)
        let history = try loaded.contents.catalog.indices(of: ["0", "1", "2"])
        let answer = try loaded.model.recommend([RecommendationRequest(history: history, k: 5, explain: true)])[0]
        let golden: [(id: String, score: Float, text: Float, idBoost: Float)] = [
            ("934", 8.943512, 2.0164754, 6.927037), ("94", 8.860153, 1.9954981, 6.8646555),
            ("48", 8.856503, 1.9897863, 6.866716), ("205", 8.631283, 1.8322903, 6.798992),
            ("3066", 8.598583, 1.7969581, 6.8016253),
        ]
        #expect(answer.fusion == .textDominant && answer.alpha == 0.6)
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
            #expect(throws: RecommenderError.malformedFile(path: dir + "/manifest.json", field: "format_version",
                                                           problem: "this build reads versions 1 to 2, found \(bad)")) {
                try BundleContents.load(directory: dir, basePath: t.basePath)
            }
        }
    }
}
