// Every trainable HDRec tensor in one ParameterStore (flat params, grads and AdamW
// moments with named views), grouped so that a DLA phase steps only its own part:
//   group "lora.text" / "lora.id"   A (R, in), B (out, R) per layer and target
//   group "projector"               W1 (Hp, 128), b1, W2 (C, Hp), b2   (ID branch only)
//   group "shared"                  IPL W1 (Hi, C), b1, W2 (I, Hi), or the factorized IPL's Wp (K, C),
//                                   bp, item bias (I); [SEQ], [ALIGN] rows; norms if trained
//   group "projector"               also γ ("id.gate") of the anchored ID pass
// Initialisation: PEFT's (A Kaiming-uniform, B = 0), PyTorch Linear defaults for the
// heads, and the added-token rows start at the mean token embedding.
import Llama
import Recommender
import TrainingOps

public final class HDRecParameters {
    public let config: HDRecNetworkConfig
    public let store: ParameterStore<Float>
    public let width: Int
    public let itemCount: Int

    public static func loraName(_ branch: AdapterRole, _ layer: Int, _ target: String, _ part: String) -> String {
        "lora.\(branch.rawValue).\(layer).\(target).\(part)"
    }

    /// The factorized IPL's item-table width K (SASRec width + the base's width for the text embeddings).
    public static func itemTableWidth(_ config: HDRecNetworkConfig, modelWidth c: Int) -> Int { config.sasrecWidth + c }

    /// - Parameter initialization: starting values the factorized head needs (ignored by the MLP IPL).
    public init(config: HDRecNetworkConfig, base: FrozenBase, itemCount: Int, seed: UInt64,
                initialization: HeadInitialization = HeadInitialization()) throws {
        let b = try config.blockConfig(base.config, training: true)
        let c = base.config.width, targets = try config.targetSet()
        var layout = ParameterLayout()
        for branch in AdapterRole.allCases {
            for l in config.firstLoRALayer ..< config.layers {
                for (t, name) in targetOrder where targets.contains(t) {
                    let (out, inp) = b.projection(t)
                    try layout.add(Self.loraName(branch, l, name, "a"), shape: [config.loraRank, inp], decay: true, group: "lora.\(branch.rawValue)")
                    try layout.add(Self.loraName(branch, l, name, "b"), shape: [out, config.loraRank], decay: true, group: "lora.\(branch.rawValue)")
                }
            }
        }
        try layout.add("projector.w1", shape: [config.projectorHidden, config.sasrecWidth], decay: true, group: "projector")
        try layout.add("projector.b1", shape: [config.projectorHidden], decay: false, group: "projector")
        try layout.add("projector.w2", shape: [c, config.projectorHidden], decay: true, group: "projector")
        try layout.add("projector.b2", shape: [c], decay: false, group: "projector")
        let k = Self.itemTableWidth(config, modelWidth: c)
        if config.factorized {
            try layout.add("ipl.proj.w", shape: [k, c], decay: true, group: "shared")
            try layout.add("ipl.proj.b", shape: [k], decay: false, group: "shared")
            try layout.add("ipl.bias", shape: [itemCount], decay: false, group: "shared")
        } else {
            try layout.add("ipl.w1", shape: [config.iplHidden, c], decay: true, group: "shared")
            try layout.add("ipl.b1", shape: [config.iplHidden], decay: false, group: "shared")
            try layout.add("ipl.w2", shape: [itemCount, config.iplHidden], decay: true, group: "shared")
        }
        if config.anchored {
            try layout.add("id.gate", shape: [1], decay: false, group: "projector")
        }
        try layout.add("tokens.seq", shape: [c], decay: false, group: "shared")
        try layout.add("tokens.align", shape: [c], decay: false, group: "shared")
        if config.trainNorms {
            for l in 0 ..< config.layers {
                try layout.add("norms.\(l).attn", shape: [c], decay: false, group: "shared")
                try layout.add("norms.\(l).ffn", shape: [c], decay: false, group: "shared")
            }
            try layout.add("norms.output", shape: [c], decay: false, group: "shared")
        }
        self.config = config
        self.width = c
        self.itemCount = itemCount
        store = ParameterStore(layout: layout)

        var rng = TrainingRNG(seed: seed)
        for branch in AdapterRole.allCases {
            for l in config.firstLoRALayer ..< config.layers {
                for (t, name) in targetOrder where targets.contains(t) {
                    let (out, inp) = b.projection(t)
                    ParameterInit.lora(a: try store.parameter(Self.loraName(branch, l, name, "a")),
                                       b: try store.parameter(Self.loraName(branch, l, name, "b")),
                                       rank: config.loraRank, out: out, in: inp, rng: &rng)
                }
            }
        }
        ParameterInit.linear(weight: try store.parameter("projector.w1"), bias: try store.parameter("projector.b1"),
                             out: config.projectorHidden, in: config.sasrecWidth, rng: &rng)
        ParameterInit.linear(weight: try store.parameter("projector.w2"), bias: try store.parameter("projector.b2"),
                             out: c, in: config.projectorHidden, rng: &rng)
        if config.factorized {
            try initialization.apply(to: store, width: k, modelWidth: c, sasrecWidth: config.sasrecWidth, itemCount: itemCount)
        } else {
            ParameterInit.linear(weight: try store.parameter("ipl.w1"), bias: try store.parameter("ipl.b1"),
                                 out: config.iplHidden, in: c, rng: &rng)
            ParameterInit.linear(weight: try store.parameter("ipl.w2"), bias: nil, out: itemCount, in: config.iplHidden, rng: &rng)
        }
        if let projector = initialization.projector {
            try projector.apply(to: store, hidden: config.projectorHidden, input: config.sasrecWidth, output: c)
        }
        let mean = base.meanTokenRow()
        try store.parameter("tokens.seq").update(from: mean, count: c)
        try store.parameter("tokens.align").update(from: mean, count: c)
        if config.trainNorms {
            for l in 0 ..< config.layers {
                try store.parameter("norms.\(l).attn").update(from: base.layers[l].attnNorm.pointer, count: c)
                try store.parameter("norms.\(l).ffn").update(from: base.layers[l].ffnNorm.pointer, count: c)
            }
            try store.parameter("norms.output").update(from: base.outputNorm.pointer, count: c)
        }
    }

    func values(_ name: String) throws -> [Float] {
        let spec = store.layout.specs[try store.layout.index(of: name)]
        return Array(UnsafeBufferPointer(start: store.parameters.pointer + spec.offset, count: spec.count))
    }

    /// The heads in the Recommender's inference form (heads.safetensors).
    /// - Parameter itemTable: the factorized IPL's frozen item table E (I, K)
    ///   (`HDRecNetwork.itemTable`): not a parameter, so the caller supplies it; unused by the MLP IPL.
    public func heads(itemTable: Tensor<Float>? = nil) throws -> HDRecHeads {
        let c = width
        var tensors: [NamedTensor] = [
            NamedTensor(name: HeadsTensorName.projectorIn, shape: [config.projectorHidden, config.sasrecWidth], values: try values("projector.w1")),
            NamedTensor(name: HeadsTensorName.projectorInBias, shape: [config.projectorHidden], values: try values("projector.b1")),
            NamedTensor(name: HeadsTensorName.projectorOut, shape: [c, config.projectorHidden], values: try values("projector.w2")),
            NamedTensor(name: HeadsTensorName.projectorOutBias, shape: [c], values: try values("projector.b2")),
            NamedTensor(name: HeadsTensorName.seqToken, shape: [c], values: try values("tokens.seq")),
            NamedTensor(name: HeadsTensorName.alignToken, shape: [c], values: try values("tokens.align")),
        ]
        if config.factorized {
            let k = Self.itemTableWidth(config, modelWidth: c)
            guard let itemTable, itemTable.count == itemCount * k else {
                throw HDRecTrainingError.invalidConfiguration(field: "ipl",
                    reason: "the factorized IPL's heads need its item table (\(itemCount) × \(k) values), found \(itemTable?.count ?? 0)")
            }
            tensors += [
                NamedTensor(name: HeadsTensorName.iplProjection, shape: [k, c], values: try values("ipl.proj.w")),
                NamedTensor(name: HeadsTensorName.iplProjectionBias, shape: [k], values: try values("ipl.proj.b")),
                NamedTensor(name: HeadsTensorName.iplItems, shape: [itemCount, k], values: itemTable.array),
                NamedTensor(name: HeadsTensorName.iplItemBias, shape: [itemCount], values: try values("ipl.bias")),
            ]
        } else {
            tensors += [
                NamedTensor(name: HeadsTensorName.iplIn, shape: [config.iplHidden, c], values: try values("ipl.w1")),
                NamedTensor(name: HeadsTensorName.iplInBias, shape: [config.iplHidden], values: try values("ipl.b1")),
                NamedTensor(name: HeadsTensorName.iplOut, shape: [itemCount, config.iplHidden], values: try values("ipl.w2")),
            ]
        }
        if config.anchored {
            tensors.append(NamedTensor(name: HeadsTensorName.idGate, shape: [1], values: try values("id.gate")))
        }
        if config.trainNorms {
            for l in 0 ..< config.layers {
                tensors.append(NamedTensor(name: HeadsTensorName.normPrefix + LlamaTensorName.attentionNorm(l), shape: [c], values: try values("norms.\(l).attn")))
                tensors.append(NamedTensor(name: HeadsTensorName.normPrefix + LlamaTensorName.ffnNorm(l), shape: [c], values: try values("norms.\(l).ffn")))
            }
            tensors.append(NamedTensor(name: HeadsTensorName.normPrefix + LlamaTensorName.outputNorm, shape: [c], values: try values("norms.output")))
        }
        return try HDRecHeads(tensors: tensors, file: "trained parameters")
    }

    /// One branch's adapter as a Llama LoRAAdapter (B rows in GGUF order, as trained).
    public func adapter(_ branch: AdapterRole, base: LlamaConfig) throws -> LoRAAdapter {
        let b = try config.blockConfig(base, training: false)
        var pairs: [LoRASite: LoRAPair] = [:]
        for l in config.firstLoRALayer ..< config.layers {
            for (t, name) in targetOrder where b.targets.contains(t) {
                let (out, inp) = b.projection(t)
                pairs[LoRASite(layer: l, target: llamaTarget(t))] = try LoRAPair(
                    a: try values(Self.loraName(branch, l, name, "a")), b: try values(Self.loraName(branch, l, name, "b")),
                    rank: config.loraRank, inFeatures: inp, outFeatures: out)
            }
        }
        return try LoRAAdapter(name: branch.rawValue, alpha: Float(config.loraAlpha), base: base, pairs: pairs)
    }
}
