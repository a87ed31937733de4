// HDRec inference (paper §3.5; docs/architecture.md "One `/recommend`", steps 4-5): build
// the text and ID prompts of each history, run the text adapter over the text
// prompts and the ID adapter over the ID prompts (each batched over requests),
// read the hidden state at the last [SEQ], apply the shared IPL, fuse, and take
// the top k. `hdrec recommend`, `hdrec evaluate` and the server all call this.
// Heads with `id.gate` anchor the ID pass at SASRec: z_id = SASRec's score row for the
// request's whole history + γ·IPL(h_id), exactly as the trainer's TrainedPassScorer.
import Foundation

/// An immutable, thread-safe HDRec model: one adapter pair and its heads over a
/// decoder. A hot swap builds a new one and replaces the reference.
public final class HDRecModel: Sendable {
    public let decoder: any HDRecDecoder
    public let prompts: PromptBuilder
    public let heads: HDRecHeads
    /// The bundle's defaults for requests that name no fusion or α.
    public let fusionDefaults: BundleManifest.FusionDefaults
    /// The bundle's adapter versions, for responses; nil for a model built in memory.
    public let versions: AdapterVersions?
    /// Proj(SASRec[i + 1]) for every item, computed once at load: [I, C].
    public let itemRows: [Float]
    /// The SASRec model the anchored ID pass adds to (required when `heads.idGate` is set).
    public let anchor: SASRecAnchor?

    public var itemCount: Int { heads.dimensions.itemCount }
    public var width: Int { heads.dimensions.modelWidth }

    /// - Parameters:
    ///   - sasrec: the SASRec table, [I + 1, D], row 0 = padding, row i + 1 = item i.
    ///   - anchor: the full SASRec model, needed (and used) only when the heads carry `id.gate`.
    public init(decoder: any HDRecDecoder, prompts: PromptBuilder, heads: HDRecHeads, sasrec: [Float],
                fusionDefaults: BundleManifest.FusionDefaults, versions: AdapterVersions? = nil,
                anchor: SASRecAnchor? = nil) throws {
        let d = heads.dimensions
        guard decoder.width == d.modelWidth else {
            throw HDRecInferenceError.inconsistent(field: "decoder width vs heads model_width", expected: "\(d.modelWidth)", found: "\(decoder.width)")
        }
        guard prompts.itemCount == d.itemCount else {
            throw HDRecInferenceError.inconsistent(field: "catalog items vs IPL outputs", expected: "\(d.itemCount)", found: "\(prompts.itemCount)")
        }
        guard sasrec.count == (d.itemCount + 1) * d.sasrecWidth else {
            throw HDRecInferenceError.inconsistent(field: "SASRec table size",
                                                expected: "[\(d.itemCount + 1), \(d.sasrecWidth)]",
                                                found: "\(sasrec.count) values")
        }
        if heads.idGate != nil {
            guard let anchor else {
                throw HDRecInferenceError.inconsistent(field: "anchored ID pass (\(HeadsTensorName.idGate) in the heads) vs SASRec model",
                                                    expected: "the SASRec checkpoint (\(BundleLayout.sasrecModel))", found: "none")
            }
            guard anchor.itemCount == d.itemCount, anchor.width == d.sasrecWidth else {
                throw HDRecInferenceError.inconsistent(field: "SASRec model vs heads (items, width)", expected: "\(d.itemCount), \(d.sasrecWidth)",
                                                    found: "\(anchor.itemCount), \(anchor.width)")
            }
        }
        try fusionDefaults.parameters.validate()
        self.anchor = anchor
        self.decoder = decoder
        self.prompts = prompts
        self.heads = heads
        self.fusionDefaults = fusionDefaults
        self.versions = versions
        self.itemRows = heads.projector(Array(sasrec[d.sasrecWidth...]), rows: d.itemCount)
    }

    /// The decoder inputs of one prompt: `[SEQ]`/`[ALIGN]` and item slots become rows.
    public func decoderInputs(_ p: PromptSequence) -> [DecoderInput] {
        let c = width
        var slotItem: [Int: Int] = [:]
        for s in p.itemSlots { slotItem[s.position] = s.item }
        let seq = DecoderInput.embedding(heads.seqEmbedding), align = DecoderInput.embedding(heads.alignEmbedding)
        return p.tokens.enumerated().map { position, token in
            if let item = slotItem[position] { return .embedding(Array(itemRows[item * c ..< (item + 1) * c])) }
            if token == prompts.seqToken { return seq }
            if token == prompts.alignToken { return align }
            return .token(token)
        }
    }

    /// Where each item of a user prompt ends: one past each `[SEQ]` after P_u.
    public func itemSpanEnds(_ p: PromptSequence) -> [Int] {
        p.tokens.indices.dropFirst(p.prefixLength).filter { p.tokens[$0] == prompts.seqToken }.map { $0 + 1 }
    }

    /// The raw IPL logits of both passes for each history.
    public struct PassScores: Sendable {
        /// z_text per history. [B][I]
        public var text: [[Float]]
        /// z_id per history. [B][I]
        public var id: [[Float]]
        /// The items each prompt kept.
        public var usedHistory: [[Int]]
        public var textMilliseconds: Double
        public var idMilliseconds: Double
    }

    /// Runs both passes over a batch of histories (IPL indices, oldest first).
    public func passScores(histories: [[Int]]) throws -> PassScores {
        let built = try histories.map { try prompts.userPrompts(history: $0) }
        let n = itemCount
        // The anchored ID pass: SASRec's rows for the whole histories (not the prompt's window).
        func anchored(_ rows: [[Float]]) throws -> [[Float]] {
            guard let gate = heads.idGate, let anchor else { return rows }
            let base = try anchor.scores(histories: histories)
            return zip(base, rows).map { SASRecAnchor.anchored($0, gate: gate, residual: $1) }
        }
        func run(_ role: AdapterRole, _ sequences: [PromptSequence]) throws -> ([[Float]], Double) {
            let start = DispatchTime.now().uptimeNanoseconds
            let hidden: [Float]
            do {
                hidden = try decoder.lastHiddenStates(sequences.map(decoderInputs), spanEnds: sequences.map(itemSpanEnds),
                                                      sharedPrefixLength: prompts.userPrefix.count, adapter: role)
            } catch let e as HDRecInferenceError {
                throw e
            } catch {
                throw HDRecInferenceError.decoder(pass: role.rawValue, underlying: "\(error)")
            }
            guard hidden.count == sequences.count * width else {
                throw HDRecInferenceError.decoder(pass: role.rawValue, underlying: "returned \(hidden.count) values for \(sequences.count) rows of width \(width)")
            }
            let logits = heads.ipl(hidden, rows: sequences.count)
            var rows = (0 ..< sequences.count).map { Array(logits[$0 * n ..< ($0 + 1) * n]) }
            if role == .id { rows = try anchored(rows) }
            return (rows, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        guard !built.isEmpty else { return PassScores(text: [], id: [], usedHistory: [], textMilliseconds: 0, idMilliseconds: 0) }
        let (text, textMs) = try run(.text, built.map(\.text))
        let (id, idMs) = try run(.id, built.map(\.id))
        return PassScores(text: text, id: id, usedHistory: built.map(\.text.items), textMilliseconds: textMs, idMilliseconds: idMs)
    }

    /// Throws the first problem with `request`: empty history, unknown items, k outside 1...I, α outside [0, 1].
    public func validate(_ request: RecommendationRequest) throws {
        guard !request.history.isEmpty else { throw HDRecInferenceError.emptyHistory }
        for i in request.history where i < 0 || i >= itemCount { throw HDRecInferenceError.itemOutOfRange(index: i, itemCount: itemCount) }
        for i in request.exclude where i < 0 || i >= itemCount { throw HDRecInferenceError.itemOutOfRange(index: i, itemCount: itemCount) }
        guard request.k >= 1, request.k <= itemCount else {
            throw HDRecInferenceError.invalidParameter(name: "k", value: "\(request.k)", expected: "an integer in 1...\(itemCount)")
        }
        try parameters(for: request).validate()
    }

    private func parameters(for request: RecommendationRequest) -> FusionParameters {
        var p = fusionDefaults.parameters
        if let a = request.alpha { p.alpha = a }
        return p
    }

    /// Recommends for a batch of requests: one text pass and one ID pass for the whole batch.
    public func recommend(_ requests: [RecommendationRequest]) throws -> [Recommendation] {
        let start = DispatchTime.now().uptimeNanoseconds
        for r in requests { try validate(r) }
        let scores = try passScores(histories: requests.map(\.history))
        var out: [Recommendation] = []
        out.reserveCapacity(requests.count)
        for (b, r) in requests.enumerated() {
            let fuseStart = DispatchTime.now().uptimeNanoseconds
            let method = r.fusion ?? fusionDefaults.method
            let p = parameters(for: r)
            let fused = try Fusion.fuse(text: scores.text[b], id: scores.id[b], method: method, parameters: p)
            var excluded = r.exclude
            if r.excludeHistory { excluded.formUnion(r.history) }
            let top = TopK.select(fused.final, k: r.k, excluding: excluded)
            let items = top.map { s in
                RecommendedItem(index: s.index, score: s.score,
                                textScore: r.explain ? fused.text[s.index] : nil,
                                idBoost: r.explain ? fused.idBoost[s.index] : nil)
            }
            let now = DispatchTime.now().uptimeNanoseconds
            let timing = RecommendationTiming(textPass: scores.textMilliseconds, idPass: scores.idMilliseconds,
                                              fusion: Double(now - fuseStart) / 1e6, total: Double(now - start) / 1e6)
            out.append(Recommendation(items: items, fusion: method, alpha: p.alpha, usedHistory: scores.usedHistory[b], timing: timing))
        }
        return out
    }
}
