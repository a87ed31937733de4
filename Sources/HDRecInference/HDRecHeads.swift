// The full set of inference heads, converted to and from the named tensors of
// heads.safetensors with every name and shape checked (docs/bundle.md).

/// Sizes of the heads; stored in the manifest and checked against the tensors.
public struct HeadsDimensions: Sendable, Equatable, Codable {
    /// SASRec embedding width D (128 in the paper).
    public var sasrecWidth: Int
    /// Projector hidden width H_p (2048 in the paper profile).
    public var projectorHidden: Int
    /// Decoder width C.
    public var modelWidth: Int
    /// IPL hidden width H_i (2048 in the paper profile); for the factorized IPL, K, the
    /// width of its item table.
    public var iplHidden: Int
    /// Number of items I.
    public var itemCount: Int
    /// The IPL's form; nil is the paper's MLP (and all that format-version-1 manifests know).
    public var iplForm: IPLForm?
    /// true when the ID pass is anchored at SASRec (`id.gate` in the heads); nil otherwise.
    public var idAnchor: Bool?

    public init(sasrecWidth: Int = 128, projectorHidden: Int, modelWidth: Int, iplHidden: Int, itemCount: Int,
                iplForm: IPLForm? = nil, idAnchor: Bool? = nil) {
        self.sasrecWidth = sasrecWidth
        self.projectorHidden = projectorHidden
        self.modelWidth = modelWidth
        self.iplHidden = iplHidden
        self.itemCount = itemCount
        self.iplForm = iplForm
        self.idAnchor = idAnchor
    }

    /// The same dimensions with the optional fields in their canonical spelling (nil for the
    /// MLP and for no anchor), so that a manifest that writes `"ipl_form": "mlp"` or
    /// `"id_anchor": false` still equals the dimensions read from its heads.
    public var canonical: HeadsDimensions {
        var d = self
        if d.iplForm == .mlp { d.iplForm = nil }
        if d.idAnchor == false { d.idAnchor = nil }
        return d
    }

    /// Whether the heads use something format version 1 does not have.
    public var needsFormatVersion2: Bool { canonical.iplForm != nil || canonical.idAnchor != nil }
}

/// Projector, IPL, the two added-token rows, optional trained norms and the optional γ
/// of the SASRec-anchored ID pass.
public struct HDRecHeads: Sendable, Equatable {
    public let dimensions: HeadsDimensions
    public let projector: Projector
    public let ipl: ItemProjectionLayer
    /// γ of the anchored ID pass, z_id = SASRec's scores + γ·IPL(h_id); nil: z_id = IPL(h_id).
    public let idGate: Float?
    /// Input row of `[SEQ]`. [C]
    public let seqEmbedding: [Float]
    /// Input row of `[ALIGN]`. [C]
    public let alignEmbedding: [Float]
    /// Trained RMSNorm weights by GGUF tensor name (e.g. `blk.0.attn_norm.weight`); empty when the norms were frozen.
    public let norms: [String: [Float]]

    public init(dimensions: HeadsDimensions, projector: Projector, ipl: ItemProjectionLayer,
                seqEmbedding: [Float], alignEmbedding: [Float], norms: [String: [Float]] = [:], idGate: Float? = nil) throws {
        let c = dimensions.modelWidth
        guard projector.inputWidth == dimensions.sasrecWidth, projector.hidden == dimensions.projectorHidden,
              projector.outputWidth == c else {
            throw HDRecInferenceError.inconsistent(field: "projector dimensions",
                                                expected: "\(dimensions.sasrecWidth)→\(dimensions.projectorHidden)→\(c)",
                                                found: "\(projector.inputWidth)→\(projector.hidden)→\(projector.outputWidth)")
        }
        guard ipl.inputWidth == c, ipl.hidden == dimensions.iplHidden, ipl.itemCount == dimensions.itemCount else {
            throw HDRecInferenceError.inconsistent(field: "IPL dimensions",
                                                expected: "\(c)→\(dimensions.iplHidden)→\(dimensions.itemCount)",
                                                found: "\(ipl.inputWidth)→\(ipl.hidden)→\(ipl.itemCount)")
        }
        guard ipl.form == dimensions.iplForm ?? .mlp else {
            throw HDRecInferenceError.inconsistent(field: "IPL form (dimensions.ipl_form vs the IPL tensors)",
                                                expected: (dimensions.iplForm ?? .mlp).rawValue, found: ipl.form.rawValue)
        }
        guard (idGate != nil) == (dimensions.idAnchor ?? false) else {
            throw HDRecInferenceError.inconsistent(field: "anchored ID pass (dimensions.id_anchor vs the \(HeadsTensorName.idGate) tensor)",
                                                expected: dimensions.idAnchor == true ? "a gate" : "no gate",
                                                found: idGate == nil ? "none" : "a gate")
        }
        if let idGate, !idGate.isFinite {
            throw HDRecInferenceError.tensorContent(file: "heads", name: HeadsTensorName.idGate, problem: "non-finite value at element 0")
        }
        for (name, row) in [(HeadsTensorName.seqToken, seqEmbedding), (HeadsTensorName.alignToken, alignEmbedding)] + norms.map({ (HeadsTensorName.normPrefix + $0.key, $0.value) }) where row.count != c {
            throw HDRecInferenceError.tensorShape(file: "heads", name: name, expected: [c], found: [row.count])
        }
        self.dimensions = dimensions.canonical
        self.projector = projector
        self.ipl = ipl
        self.seqEmbedding = seqEmbedding
        self.alignEmbedding = alignEmbedding
        self.norms = norms
        self.idGate = idGate
    }

    /// Builds the heads from named tensors (as read from heads.safetensors), inferring
    /// the dimensions from the shapes and checking that they agree; `file` names the
    /// source in errors. Non-finite values are rejected.
    public init(tensors: [NamedTensor], file: String) throws {
        var byName: [String: NamedTensor] = [:]
        for t in tensors { byName[t.name] = t }
        func get(_ name: String, rank: Int) throws -> NamedTensor {
            guard let t = byName[name] else { throw HDRecInferenceError.missingTensor(file: file, name: name) }
            guard t.shape.count == rank, t.shape.reduce(1, *) == t.values.count else {
                throw HDRecInferenceError.tensorShape(file: file, name: name, expected: rank == 1 ? [-1] : [-1, -1], found: t.shape)
            }
            if let bad = t.values.firstIndex(where: { !$0.isFinite }) {
                throw HDRecInferenceError.tensorContent(file: file, name: name, problem: "non-finite value at element \(bad)")
            }
            return t
        }
        func expect(_ t: NamedTensor, _ shape: [Int]) throws {
            guard t.shape == shape else { throw HDRecInferenceError.tensorShape(file: file, name: t.name, expected: shape, found: t.shape) }
        }
        let p0 = try get(HeadsTensorName.projectorIn, rank: 2)
        let (hp, d) = (p0.shape[0], p0.shape[1])
        let p0b = try get(HeadsTensorName.projectorInBias, rank: 1); try expect(p0b, [hp])
        let p2 = try get(HeadsTensorName.projectorOut, rank: 2)
        let c = p2.shape[0]
        try expect(p2, [c, hp])
        let p2b = try get(HeadsTensorName.projectorOutBias, rank: 1); try expect(p2b, [c])
        // The IPL: the MLP's three tensors or the factorized form's four, never a mix.
        let mlpNames = [HeadsTensorName.iplIn, HeadsTensorName.iplInBias, HeadsTensorName.iplOut]
        let factorizedNames = [HeadsTensorName.iplProjection, HeadsTensorName.iplProjectionBias,
                               HeadsTensorName.iplItems, HeadsTensorName.iplItemBias]
        let ipl: ItemProjectionLayer
        if let mixed = factorizedNames.first(where: { byName[$0] != nil }) {
            if let other = mlpNames.first(where: { byName[$0] != nil }) {
                throw HDRecInferenceError.tensorContent(file: file, name: mixed,
                                                     problem: "a factorized IPL tensor next to the MLP IPL's '\(other)': one form only (docs/bundle.md)")
            }
            let wp = try get(HeadsTensorName.iplProjection, rank: 2)
            let k = wp.shape[0]
            try expect(wp, [k, c])
            let bp = try get(HeadsTensorName.iplProjectionBias, rank: 1); try expect(bp, [k])
            let e = try get(HeadsTensorName.iplItems, rank: 2)
            let items = e.shape[0]
            try expect(e, [items, k])
            let b = try get(HeadsTensorName.iplItemBias, rank: 1); try expect(b, [items])
            ipl = try ItemProjectionLayer(projection: wp.values, projectionBias: bp.values, items: e.values, itemBias: b.values,
                                          inputWidth: c, width: k, itemCount: items)
        } else {
            let i0 = try get(HeadsTensorName.iplIn, rank: 2)
            let hi = i0.shape[0]
            try expect(i0, [hi, c])
            let i0b = try get(HeadsTensorName.iplInBias, rank: 1); try expect(i0b, [hi])
            let i2 = try get(HeadsTensorName.iplOut, rank: 2)
            let items = i2.shape[0]
            try expect(i2, [items, hi])
            ipl = try ItemProjectionLayer(w0: i0.values, b0: i0b.values, w2: i2.values, inputWidth: c, hidden: hi, itemCount: items)
        }
        var gate: Float? = nil
        if byName[HeadsTensorName.idGate] != nil {
            let g = try get(HeadsTensorName.idGate, rank: 1)
            try expect(g, [1])
            gate = g.values[0]
        }
        let seq = try get(HeadsTensorName.seqToken, rank: 1); try expect(seq, [c])
        let align = try get(HeadsTensorName.alignToken, rank: 1); try expect(align, [c])
        var norms: [String: [Float]] = [:]
        for name in byName.keys where name.hasPrefix(HeadsTensorName.normPrefix) {
            let t = try get(name, rank: 1)
            try expect(t, [c])
            norms[String(name.dropFirst(HeadsTensorName.normPrefix.count))] = t.values
        }
        let known = Set([HeadsTensorName.projectorIn, HeadsTensorName.projectorInBias, HeadsTensorName.projectorOut,
                         HeadsTensorName.projectorOutBias, HeadsTensorName.seqToken, HeadsTensorName.alignToken,
                         HeadsTensorName.idGate] + mlpNames + factorizedNames)
        if let unknown = byName.keys.sorted().first(where: { !known.contains($0) && !$0.hasPrefix(HeadsTensorName.normPrefix) }) {
            throw HDRecInferenceError.tensorContent(file: file, name: unknown, problem: "unknown tensor name (see docs/bundle.md)")
        }
        let dims = HeadsDimensions(sasrecWidth: d, projectorHidden: hp, modelWidth: c, iplHidden: ipl.hidden, itemCount: ipl.itemCount,
                                   iplForm: ipl.form == .mlp ? nil : ipl.form, idAnchor: gate == nil ? nil : true)
        try self.init(dimensions: dims,
                      projector: try Projector(w0: p0.values, b0: p0b.values, w2: p2.values, b2: p2b.values,
                                               inputWidth: d, hidden: hp, outputWidth: c),
                      ipl: ipl, seqEmbedding: seq.values, alignEmbedding: align.values, norms: norms, idGate: gate)
    }

    /// The named tensors to write to heads.safetensors, in a stable order.
    public func tensors() -> [NamedTensor] {
        let d = dimensions
        var out = [
            NamedTensor(name: HeadsTensorName.projectorIn, shape: [d.projectorHidden, d.sasrecWidth], values: projector.w0),
            NamedTensor(name: HeadsTensorName.projectorInBias, shape: [d.projectorHidden], values: projector.b0),
            NamedTensor(name: HeadsTensorName.projectorOut, shape: [d.modelWidth, d.projectorHidden], values: projector.w2),
            NamedTensor(name: HeadsTensorName.projectorOutBias, shape: [d.modelWidth], values: projector.b2),
        ] + ipl.tensors() + [
            NamedTensor(name: HeadsTensorName.seqToken, shape: [d.modelWidth], values: seqEmbedding),
            NamedTensor(name: HeadsTensorName.alignToken, shape: [d.modelWidth], values: alignEmbedding),
        ]
        if let idGate { out.append(NamedTensor(name: HeadsTensorName.idGate, shape: [1], values: [idGate])) }
        for name in norms.keys.sorted() {
            out.append(NamedTensor(name: HeadsTensorName.normPrefix + name, shape: [d.modelWidth], values: norms[name] ?? []))
        }
        return out
    }
}
