// SASRec's user state at each supervised position of the anchored ID pass (docs/training.md "Recipes and the shipped configuration"):
// the anchored ID pass scores s·E_sasᵀ + γ·IPL(h), and s is what SASRec itself computes
// for the history up to that position. The state of the last position over the whole
// history (its last `maxLength` items) is exactly the one `hdrec sasrec` scores with,
// so at γ = 0 the ID pass ranks as SASRec does.
import RecSys
import TrainingOps

public struct SASRecAnchors: @unchecked Sendable {
    public let model: SASRecModel<Float>
    public var width: Int { model.layout.config.hidden }

    public init(model: SASRecModel<Float>) { self.model = model }

    /// For each history, SASRec's states after its last `rows[b]` items, history after history:
    /// (Σ rows, D). A history contributes its states oldest first; rows[b] ≤ its length.
    public func states(histories: [[Int]], rows: [Int]) throws -> [Float] {
        precondition(histories.count == rows.count)
        let d = width, maxLength = model.layout.config.maxLength
        let windows = histories.map { $0.suffix(maxLength) }
        for (b, w) in windows.enumerated() where w.isEmpty || rows[b] > w.count {
            throw HDRecTrainingError.invalidConfiguration(field: "SASRec anchors",
                reason: "history \(b) has \(histories[b].count) items (\(w.count) in SASRec's window) for \(rows[b]) supervised rows")
        }
        guard !windows.isEmpty else { return [] }
        let batch = SASRecBatch(sequences: windows)
        let hidden = model.hiddenStates(batch)
        var out: [Float] = []
        out.reserveCapacity(rows.reduce(0, +) * d)
        for b in 0 ..< batch.count {
            let end = batch.starts[b + 1]
            for p in (end - rows[b]) ..< end { out.append(contentsOf: hidden[(p * d) ..< ((p + 1) * d)]) }
        }
        return out
    }
}
