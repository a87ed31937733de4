// Every trainable HDRec tensor in one ParameterStore (flat params, grads and AdamW
// moments), keyed by HDRecParameterKey and grouped so that a DLA phase steps only its own part:
//   group "lora.text" / "lora.id"   A (R, in), B (out, R) per layer and target
//   group "projector"               W1 (Hp, 128), b1, W2 (C, Hp), b2   (ID branch only)
//   group "shared"                  IPL W1 (Hi, C), b1, W2 (I, Hi), or the factorized IPL's Wp (K, C),
//                                   bp, item bias (I); [SEQ], [ALIGN] rows; norms if trained
//   group "projector"               also γ (`.idGate`) of the anchored ID pass
// Each tensor's layout name is its key's `name`, the bundle's name for it (HDRecParameterKey.swift);
// the order of the layout is fixed (initialisation draws and gradient-norm sums follow it).
// Initialisation: PEFT's (A Kaiming-uniform, B = 0), PyTorch Linear defaults for the
// heads, and the added-token rows start at the mean token embedding.
import Llama
import HDRecInference
import TrainingOps

public final class HDRecParameters<T: TrainScalar> {
    public let config: HDRecNetworkConfig
    public let store: ParameterStore<T>
    public let width: Int
    public let itemCount: Int
    /// Each key's element offset in the store's buffers, resolved once at layout.
    private let offsets: [HDRecParameterKey: Int]

    /// The factorized IPL's item-table width K (SASRec width + the base's width for the text embeddings).
    public static func itemTableWidth(_ config: HDRecNetworkConfig, modelWidth c: Int) -> Int { config.sasrecWidth + c }

    /// Every key of a network, in layout order, with its shape, decay flag and group.
    static func layout(_ config: HDRecNetworkConfig, base: LlamaConfig, itemCount: Int) throws
        -> [(key: HDRecParameterKey, shape: [Int], decay: Bool, group: String)] {
        let b = try config.blockConfig(base, training: true)
        let c = base.width, targets = try config.targetSet()
        var keys: [(key: HDRecParameterKey, shape: [Int], decay: Bool, group: String)] = []
        for branch in AdapterRole.allCases {
            for l in config.firstLoRALayer ..< config.layers {
                for (t, _) in targetOrder where targets.contains(t) {
                    let (out, inp) = b.projection(t)
                    let group = "lora.\(branch.rawValue)"
                    keys.append((.lora(branch, layer: l, llamaTarget(t), .a), [config.loraRank, inp], true, group))
                    keys.append((.lora(branch, layer: l, llamaTarget(t), .b), [out, config.loraRank], true, group))
                }
            }
        }
        keys.append((.projector(.inWeight), [config.projectorHidden, config.sasrecWidth], true, "projector"))
        keys.append((.projector(.inBias), [config.projectorHidden], false, "projector"))
        keys.append((.projector(.outWeight), [c, config.projectorHidden], true, "projector"))
        keys.append((.projector(.outBias), [c], false, "projector"))
        if config.factorized {
            let k = itemTableWidth(config, modelWidth: c)
            keys.append((.ipl(.projection), [k, c], true, "shared"))
            keys.append((.ipl(.projectionBias), [k], false, "shared"))
            keys.append((.ipl(.itemBias), [itemCount], false, "shared"))
        } else {
            keys.append((.ipl(.inWeight), [config.iplHidden, c], true, "shared"))
            keys.append((.ipl(.inBias), [config.iplHidden], false, "shared"))
            keys.append((.ipl(.outWeight), [itemCount, config.iplHidden], true, "shared"))
        }
        if config.anchored { keys.append((.idGate, [1], false, "projector")) }
        keys.append((.token(.seq), [c], false, "shared"))
        keys.append((.token(.align), [c], false, "shared"))
        if config.trainNorms {
            for l in 0 ..< config.layers {
                keys.append((.norm(.attention(layer: l)), [c], false, "shared"))
                keys.append((.norm(.ffn(layer: l)), [c], false, "shared"))
            }
            keys.append((.norm(.output), [c], false, "shared"))
        }
        return keys
    }

    /// - Parameter initialization: starting values the factorized head needs (ignored by the MLP IPL).
    public init(config: HDRecNetworkConfig, base: FrozenBase<T>, itemCount: Int, seed: UInt64,
                initialization: HeadInitialization = HeadInitialization()) throws {
        let b = try config.blockConfig(base.config, training: true)
        let c = base.config.width, targets = try config.targetSet()
        var layout = ParameterLayout()
        var offsets: [HDRecParameterKey: Int] = [:]
        for entry in try Self.layout(config, base: base.config, itemCount: itemCount) {
            offsets[entry.key] = layout.totalCount
            try layout.add(entry.key.name, shape: entry.shape, decay: entry.decay, group: entry.group)
        }
        self.config = config
        self.width = c
        self.itemCount = itemCount
        self.offsets = offsets
        store = ParameterStore(layout: layout)

        var rng = TrainingRNG(seed: seed)
        for branch in AdapterRole.allCases {
            for l in config.firstLoRALayer ..< config.layers {
                for (t, _) in targetOrder where targets.contains(t) {
                    let (out, inp) = b.projection(t)
                    ParameterInit.lora(a: try parameter(.lora(branch, layer: l, llamaTarget(t), .a)),
                                       b: try parameter(.lora(branch, layer: l, llamaTarget(t), .b)),
                                       rank: config.loraRank, out: out, in: inp, rng: &rng)
                }
            }
        }
        ParameterInit.linear(weight: try parameter(.projector(.inWeight)), bias: try parameter(.projector(.inBias)),
                             out: config.projectorHidden, in: config.sasrecWidth, rng: &rng)
        ParameterInit.linear(weight: try parameter(.projector(.outWeight)), bias: try parameter(.projector(.outBias)),
                             out: c, in: config.projectorHidden, rng: &rng)
        if config.factorized {
            try initialization.apply(to: self, width: Self.itemTableWidth(config, modelWidth: c), modelWidth: c,
                                     sasrecWidth: config.sasrecWidth, itemCount: itemCount)
        } else {
            ParameterInit.linear(weight: try parameter(.ipl(.inWeight)), bias: try parameter(.ipl(.inBias)),
                                 out: config.iplHidden, in: c, rng: &rng)
            ParameterInit.linear(weight: try parameter(.ipl(.outWeight)), bias: nil, out: itemCount, in: config.iplHidden, rng: &rng)
        }
        if let projector = initialization.projector {
            try projector.apply(to: self, hidden: config.projectorHidden, input: config.sasrecWidth, output: c)
        }
        let mean = base.meanTokenRow()
        try parameter(.token(.seq)).update(from: mean, count: c)
        try parameter(.token(.align)).update(from: mean, count: c)
        if config.trainNorms {
            for l in 0 ..< config.layers {
                try parameter(.norm(.attention(layer: l))).update(from: base.layers[l].attnNorm.pointer, count: c)
                try parameter(.norm(.ffn(layer: l))).update(from: base.layers[l].ffnNorm.pointer, count: c)
            }
            try parameter(.norm(.output)).update(from: base.outputNorm.pointer, count: c)
        }
    }

    private func offset(_ key: HDRecParameterKey) throws -> Int {
        guard let offset = offsets[key] else { throw TrainingOpsError.unknownParameter(name: key.name) }
        return offset
    }

    /// The parameter view of a tensor (its layout's count of elements); throws for a key this configuration lacks.
    public func parameter(_ key: HDRecParameterKey) throws -> UnsafeMutablePointer<T> {
        store.parameters.pointer + (try offset(key))
    }

    /// The gradient view of a tensor; throws for a key this configuration lacks.
    public func gradient(_ key: HDRecParameterKey) throws -> UnsafeMutablePointer<T> {
        store.gradients.pointer + (try offset(key))
    }

    /// Whether this configuration has the tensor.
    public func contains(_ key: HDRecParameterKey) -> Bool { offsets[key] != nil }

    /// Every key, in layout order.
    public var keys: [HDRecParameterKey] { offsets.keys.sorted { offsets[$0]! < offsets[$1]! } }

    /// A tensor's values as f32 (the bundle's element type).
    func values(_ key: HDRecParameterKey) throws -> [Float] {
        let spec = store.layout.specs[try store.layout.index(of: key.name)]
        return UnsafeBufferPointer(start: store.parameters.pointer + spec.offset, count: spec.count).map { Float($0) }
    }

    /// The heads in the HDRecInference's inference form (heads.safetensors).
    /// - Parameter itemTable: the factorized IPL's frozen item table E (I, K)
    ///   (`HDRecNetwork.itemTable`): not a parameter, so the caller supplies it; unused by the MLP IPL.
    public func heads(itemTable: Tensor<T>? = nil) throws -> HDRecHeads {
        let c = width
        func tensor(_ key: HDRecParameterKey, _ shape: [Int]) throws -> NamedTensor {
            NamedTensor(name: key.name, shape: shape, values: try values(key))
        }
        var tensors: [NamedTensor] = [
            try tensor(.projector(.inWeight), [config.projectorHidden, config.sasrecWidth]),
            try tensor(.projector(.inBias), [config.projectorHidden]),
            try tensor(.projector(.outWeight), [c, config.projectorHidden]),
            try tensor(.projector(.outBias), [c]),
            try tensor(.token(.seq), [c]),
            try tensor(.token(.align), [c]),
        ]
        if config.factorized {
            let k = Self.itemTableWidth(config, modelWidth: c)
            guard let itemTable, itemTable.count == itemCount * k else {
                throw HDRecTrainingError.invalidConfiguration(field: "ipl",
                    reason: "the factorized IPL's heads need its item table (\(itemCount) × \(k) values), found \(itemTable?.count ?? 0)")
            }
            tensors += [
                try tensor(.ipl(.projection), [k, c]),
                try tensor(.ipl(.projectionBias), [k]),
                NamedTensor(name: HeadsTensorName.iplItems, shape: [itemCount, k], values: itemTable.array.map { Float($0) }),
                try tensor(.ipl(.itemBias), [itemCount]),
            ]
        } else {
            tensors += [
                try tensor(.ipl(.inWeight), [config.iplHidden, c]),
                try tensor(.ipl(.inBias), [config.iplHidden]),
                try tensor(.ipl(.outWeight), [itemCount, config.iplHidden]),
            ]
        }
        if config.anchored { tensors.append(try tensor(.idGate, [1])) }
        if config.trainNorms {
            for l in 0 ..< config.layers {
                tensors.append(try tensor(.norm(.attention(layer: l)), [c]))
                tensors.append(try tensor(.norm(.ffn(layer: l)), [c]))
            }
            tensors.append(try tensor(.norm(.output), [c]))
        }
        return try HDRecHeads(tensors: tensors, file: "trained parameters")
    }

    /// One branch's adapter as a Llama LoRAAdapter (B rows in GGUF order, as trained).
    public func adapter(_ branch: AdapterRole, base: LlamaConfig) throws -> LoRAAdapter {
        let b = try config.blockConfig(base, training: false)
        var pairs: [LoRASite: LoRAPair] = [:]
        for l in config.firstLoRALayer ..< config.layers {
            for (t, _) in targetOrder where b.targets.contains(t) {
                let (out, inp) = b.projection(t)
                pairs[LoRASite(layer: l, target: llamaTarget(t))] = try LoRAPair(
                    a: try values(.lora(branch, layer: l, llamaTarget(t), .a)), b: try values(.lora(branch, layer: l, llamaTarget(t), .b)),
                    rank: config.loraRank, inFeatures: inp, outFeatures: out)
            }
        }
        return try LoRAAdapter(name: branch.rawValue, alpha: Float(config.loraAlpha), base: base, pairs: pairs)
    }
}
