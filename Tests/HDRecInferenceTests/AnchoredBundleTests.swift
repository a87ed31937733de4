// The SASRec-anchored ID pass served from a format-2 bundle (stories260K): at γ = 0 the ID
// pass is SASRec's own score row (RecSys's SASRecScorer on the same history), for γ ≠ 0 it
// is that row plus γ·IPL(h_id); and every way a bundle can lack or mismatch its SASRec
// checkpoint is refused with the specific error.
import Foundation
import ModelFiles
import RecSys
import Testing
@testable import HDRecInference
import TrainingOps

/// max |a − b| / max(1, |b|).
private func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}

@Suite("Anchored ID pass from a bundle (stories260K)", .serialized)
struct AnchoredBundleTests {
    /// Histories longer than SASRec's 5-item window, so the anchor must truncate as SASRec does.
    static let histories = [[0, 5, 7], [3, 3], [9, 2, 2, 8, 4, 1, 6, 0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]

    @Test("γ = 0: the served ID pass equals SASRecScorer's scores on the same history to 1e-4; γ ≠ 0 adds γ·IPL(h_id)")
    func gateZeroIsSASRec() throws {
        let b = try AnchoredStoriesBundle(gate: 0)
        defer { b.cleanup() }
        let loaded = try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath)
        #expect(loaded.contents.manifest.formatVersion == 2)
        #expect(loaded.contents.manifest.files[BundleLayout.sasrecModel] != nil)
        let served = try loaded.model.passScores(histories: Self.histories)

        let dataset = try b.dataset(histories: Self.histories)
        let users = Array(Self.histories.indices)
        #expect(users.map { Array(dataset.history($0, for: .test)) } == Self.histories)
        var sasrec = [Float](repeating: 0, count: users.count * AnchoredStoriesBundle.items)
        try sasrec.withUnsafeMutableBufferPointer {
            try SASRecScorer(model: b.sasrecModel, dataset: dataset).scores(users: users, split: .test, into: $0)
        }
        let n = AnchoredStoriesBundle.items
        for u in users {
            let want = Array(sasrec[u * n ..< (u + 1) * n])
            #expect(relativeError(served.id[u], want) < 1e-4, "user \(u)")
            #expect(relativeError(served.text[u], want) > 1e-2, "the text pass is not anchored")
        }

        // Teeth: the whole history (not its last 5 items) would give other SASRec scores.
        let whole = b.sasrecModel.scoreNext(SASRecBatch(sequences: [Self.histories[3][...]]))
        #expect(relativeError(whole, Array(sasrec[3 * n ..< 4 * n])) > 1e-3)

        // γ ≠ 0: z_id(γ) = z_id(0) + γ·IPL(h_id), linear in γ, and far from SASRec alone.
        func model(gate: Float) throws -> HDRecModel {
            let h = loaded.model.heads
            let heads = try HDRecHeads(dimensions: h.dimensions, projector: h.projector, ipl: h.ipl, seqEmbedding: h.seqEmbedding,
                                       alignEmbedding: h.alignEmbedding, norms: h.norms, idGate: gate)
            return try HDRecModel(decoder: loaded.model.decoder, prompts: loaded.model.prompts, heads: heads,
                                  sasrec: loaded.contents.sasrec, fusionDefaults: loaded.contents.manifest.fusion,
                                  anchor: loaded.model.anchor)
        }
        let half = try model(gate: 0.5).passScores(histories: Self.histories)
        let one = try model(gate: 1).passScores(histories: Self.histories)
        for u in users {
            // (The decoder is shared, so this call reuses its prefix cache: equal within float noise.)
            #expect(relativeError(half.text[u], served.text[u]) < 1e-5, "γ leaves the text pass alone")
            let residualHalf = zip(half.id[u], served.id[u]).map { ($0 - $1) / 0.5 }
            let residualOne = zip(one.id[u], served.id[u]).map { $0 - $1 }
            #expect(relativeError(residualHalf, residualOne) < 1e-4)
            #expect(relativeError(one.id[u], served.id[u]) > 1e-2)
        }
    }

    @Test("an F16 bundle keeps the SASRec checkpoint in F32 and its anchor exact; the F16 table still passes the table check")
    func f16Bundle() throws {
        let b = try AnchoredStoriesBundle(gate: 0.3)
        defer { b.cleanup() }
        let dir = b.root + "/f16"
        _ = try b.write(to: dir, sasrecModelPath: b.sasrecPath, dtype: .f16)
        let file = try SafetensorsFile(path: dir + "/" + BundleLayout.sasrecModel)
        #expect(file.tensors.allSatisfy { $0.dtype == .f32 })
        #expect(try SafetensorsFile(path: dir + "/" + BundleLayout.sasrec).tensors.allSatisfy { $0.dtype == .f16 })
        let contents = try BundleContents.load(directory: dir, basePath: Stories.ggufPath)
        #expect(contents.sasrecModel?.model.parameters == b.sasrecModel.parameters)
        #expect(contents.sasrec != AnchoredStoriesBundle.table(b.sasrecModel), "the table itself was rounded")
        #expect(file.metadata["max_length"] == "5" && file.metadata["blocks"] == "1")
    }

    @Test("a bundle whose heads carry id.gate but that lacks sasrec_model.safetensors is refused, naming the file")
    func missingCheckpoint() throws {
        let b = try AnchoredStoriesBundle(gate: 0.3)
        defer { b.cleanup() }
        let path = b.dir + "/" + BundleLayout.sasrecModel
        let manifestPath = b.dir + "/" + BundleLayout.manifest
        // Listed but deleted: the checksum pass names it.
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: HDRecInferenceError.missingFile(path: path)) { try BundleContents.load(directory: b.dir, basePath: Stories.ggufPath) }
        // Neither listed nor present.
        try editManifest(manifestPath) { $0["files"] = ($0["files"] as! [String: Any]).filter { $0.key != BundleLayout.sasrecModel } }
        #expect(throws: HDRecInferenceError.missingFile(path: path)) { try BundleContents.load(directory: b.dir, basePath: Stories.ggufPath) }
        #expect(throws: HDRecInferenceError.missingFile(path: path)) {
            try BundleContents.load(directory: b.dir, basePath: Stories.ggufPath, verifyChecksums: false)
        }
        // Present but not listed: unverified, so not used.
        try SASRecExport.write(b.sasrecModel, to: path)
        do {
            _ = try BundleContents.load(directory: b.dir, basePath: Stories.ggufPath)
            Issue.record("an unlisted checkpoint was accepted")
        } catch let HDRecInferenceError.malformedFile(file, field, problem) {
            #expect(file == manifestPath && field == "files" && problem.contains(BundleLayout.sasrecModel))
        }
        // The writer and the model refuse gate heads without a SASRec model too.
        #expect(throws: HDRecInferenceError.self) { _ = try b.write(to: b.root + "/again", sasrecModelPath: nil) }
        #expect(!FileManager.default.fileExists(atPath: b.root + "/again/manifest.json"))
        let plain = try AnchoredStoriesBundle(gate: nil)
        defer { plain.cleanup() }
        let loaded = try HDRecModel.load(bundle: plain.dir, basePath: Stories.ggufPath)
        #expect(throws: HDRecInferenceError.self) {
            try HDRecModel(decoder: loaded.model.decoder, prompts: loaded.model.prompts, heads: b.heads,
                           sasrec: loaded.contents.sasrec, fusionDefaults: loaded.contents.manifest.fusion)
        }
        // Without a gate the checkpoint is optional, loaded when listed, and changes no score.
        #expect(loaded.contents.sasrecModel != nil)
        let unanchored = try HDRecModel(decoder: loaded.model.decoder, prompts: loaded.model.prompts, heads: loaded.model.heads,
                                        sasrec: loaded.contents.sasrec, fusionDefaults: loaded.contents.manifest.fusion)
        let withoutGate = try unanchored.passScores(histories: Self.histories).id
        let withGateless = try loaded.model.passScores(histories: Self.histories).id  // the shared decoder's prefix cache: float noise only
        #expect(zip(withoutGate, withGateless).allSatisfy { relativeError($0, $1) < 1e-5 })
        _ = try plain.write(to: plain.root + "/no-model", sasrecModelPath: nil)
        let without = try BundleContents.load(directory: plain.root + "/no-model", basePath: Stories.ggufPath)
        #expect(without.sasrecModel == nil && !FileManager.default.fileExists(atPath: plain.root + "/no-model/" + BundleLayout.sasrecModel))
    }

    @Test("a SASRec checkpoint of another shape or another SASRec's table, and format 1 with format-2 heads, are refused")
    func mismatches() throws {
        let b = try AnchoredStoriesBundle(gate: 0.3)
        defer { b.cleanup() }
        // Another SASRec: its item table is not the bundle's sasrec.safetensors.
        let other = b.root + "/src/other.safetensors"
        try SASRecExport.write(AnchoredStoriesBundle.sasrec(seed: 99), to: other)
        do {
            _ = try b.write(to: b.root + "/other", sasrecModelPath: other)
            Issue.record("a foreign SASRec checkpoint was accepted")
        } catch let HDRecInferenceError.inconsistent(field, _, _) {
            #expect(field.contains("item_embedding"))
        }
        // Wrong item count.
        var config = b.sasrecModel.layout.config
        config.seed = 3
        let bigger = b.root + "/src/bigger.safetensors"
        try SASRecExport.write(SASRecModel<Float>(config: config, numItems: AnchoredStoriesBundle.items + 1), to: bigger)
        #expect(throws: HDRecInferenceError.tensorShape(file: bigger, name: "item_embedding",
                                                     expected: [AnchoredStoriesBundle.items + 1, AnchoredStoriesBundle.sasrecWidth],
                                                     found: [AnchoredStoriesBundle.items + 2, AnchoredStoriesBundle.sasrecWidth])) {
            _ = try b.write(to: b.root + "/bigger", sasrecModelPath: bigger)
        }
        // A bare item table is not a checkpoint.
        let bare = b.root + "/src/bare.safetensors"
        try SASRecTable.write(AnchoredStoriesBundle.table(b.sasrecModel), itemCount: AnchoredStoriesBundle.items,
                              width: AnchoredStoriesBundle.sasrecWidth, to: bare)
        #expect(throws: HDRecInferenceError.self) { _ = try b.write(to: b.root + "/bare", sasrecModelPath: bare) }
        // Swapping the checkpoint inside a bundle (hash re-listed): caught by the table check on load.
        try FileManager.default.copyItem(atPath: other, toPath: b.dir + "/x.safetensors")
        try FileManager.default.removeItem(atPath: b.dir + "/" + BundleLayout.sasrecModel)
        try FileManager.default.moveItem(atPath: b.dir + "/x.safetensors", toPath: b.dir + "/" + BundleLayout.sasrecModel)
        #expect(throws: HDRecInferenceError.self) { try BundleContents.load(directory: b.dir, basePath: Stories.ggufPath, verifyChecksums: false) }
        // A version-1 manifest cannot carry format-2 heads.
        let fresh = b.root + "/v1"
        _ = try b.write(to: fresh, sasrecModelPath: b.sasrecPath)
        try editManifest(fresh + "/" + BundleLayout.manifest) { $0["format_version"] = 1 }
        do {
            _ = try BundleContents.load(directory: fresh, basePath: Stories.ggufPath)
            Issue.record("format 1 with a factorized IPL was accepted")
        } catch let HDRecInferenceError.malformedFile(_, field, _) {
            #expect(field == "format_version")
        }
    }
}

/// Rewrites a manifest.json through `change` (the manifest is not itself hashed).
func editManifest(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
    var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    change(&obj)
    try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
}
