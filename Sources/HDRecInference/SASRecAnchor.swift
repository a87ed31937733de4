// The SASRec anchor of the ID pass (bundle format 2, docs/bundle.md): heads with `id.gate`
// score z_id = s_u·E_sasᵀ + γ·IPL(h_id), where s_u is SASRec's hidden state after the last
// item of the request's whole history (its last `maxLength` items) and E_sas its item table
// without the padding row. That is SASRec's own next-item score row, the one `hdrec sasrec`
// ranks with, so at γ = 0 the served ID pass ranks exactly as SASRec does. The trainer
// computes the same thing (Training's SASRecAnchors and HDRecNetwork.anchorScores); the
// model comes from the bundle's sasrec_model.safetensors, the full checkpoint.
import RecSys
import TrainingOps

/// A full SASRec model checked against a bundle, scoring histories for the anchored ID pass.
public struct SASRecAnchor: Sendable {
    public let model: SASRecModel<Float>

    public var itemCount: Int { model.layout.numItems }
    public var width: Int { model.layout.config.hidden }
    /// SASRec reads at most this many of the latest history items.
    public var maxLength: Int { model.layout.config.maxLength }

    /// Checks that `model` has `itemCount` items of width `width` and finite parameters;
    /// `file` names the checkpoint in errors.
    public init(model: SASRecModel<Float>, itemCount: Int, width: Int, file: String) throws {
        guard model.layout.numItems == itemCount, model.layout.config.hidden == width else {
            throw HDRecInferenceError.tensorShape(file: file, name: "item_embedding", expected: [itemCount + 1, width],
                                               found: [model.layout.numItems + 1, model.layout.config.hidden])
        }
        for t in model.layout.tensors {
            let n = t.shape.reduce(1, *)
            if let bad = model.parameters[t.offset ..< t.offset + n].firstIndex(where: { !$0.isFinite }) {
                throw HDRecInferenceError.tensorContent(file: file, name: t.name, problem: "non-finite value at element \(bad - t.offset)")
            }
        }
        self.model = model
    }

    /// Loads a checkpoint written by `hdrec sasrec` (architecture from its metadata) and checks it.
    public static func load(path: String, itemCount: Int, width: Int) throws -> SASRecAnchor {
        _ = try openSafetensors(path)   // missing or unreadable files get the module's usual errors
        let model: SASRecModel<Float>
        do { model = try SASRecExport.load(path: path) } catch {
            throw HDRecInferenceError.malformedFile(path: path, field: "(file)", problem: "not a full SASRec checkpoint: \(error)")
        }
        return try SASRecAnchor(model: model, itemCount: itemCount, width: width, file: path)
    }

    /// Checks that `table` (sasrec.safetensors, [I + 1, D], maybe stored as F16 or BF16) is this
    /// model's item table: the ID pass feeds its rows to the projector while the anchor scores
    /// with the model's, and a bundle mixing two SASRecs would serve neither as trained.
    /// Values may differ by the 16-bit storage's rounding (relative 2⁻⁸ for BF16).
    public func checkTable(_ table: [Float], file: String) throws {
        let e = model.layout.itemEmbedding, n = (itemCount + 1) * width
        guard table.count == n else {
            throw HDRecInferenceError.inconsistent(field: "\(file) vs the SASRec checkpoint's item table",
                                                expected: "[\(itemCount + 1), \(width)]", found: "\(table.count) values")
        }
        for i in 0 ..< n {
            let want = model.parameters[e + i]
            if abs(table[i] - want) > abs(want) / 128 + 1e-6 {
                throw HDRecInferenceError.inconsistent(field: "\(file) row \(i / width) vs the SASRec checkpoint's item_embedding",
                                                    expected: "\(want)", found: "\(table[i])")
            }
        }
    }

    /// SASRec's score of every item after each history (item indices, oldest first), as
    /// `SASRecScorer` computes it: [B][I].
    public func scores(histories: [[Int]]) throws -> [[Float]] {
        guard !histories.isEmpty else { return [] }
        for h in histories {
            guard !h.isEmpty else { throw HDRecInferenceError.emptyHistory }
            for i in h where i < 0 || i >= itemCount { throw HDRecInferenceError.itemOutOfRange(index: i, itemCount: itemCount) }
        }
        let flat = model.scoreNext(SASRecBatch(sequences: histories.map { $0.suffix(maxLength) }))
        let n = itemCount
        return (0 ..< histories.count).map { Array(flat[$0 * n ..< ($0 + 1) * n]) }
    }

    /// anchor + γ·residual, element by element in Float, as the trainer's AnchoredResidual.
    static func anchored(_ anchor: [Float], gate: Float, residual: [Float]) -> [Float] {
        precondition(anchor.count == residual.count, "anchor and residual rows differ in length")
        var out = anchor
        for i in out.indices { out[i] = anchor[i] + gate * residual[i] }
        return out
    }
}
