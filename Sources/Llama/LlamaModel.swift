// The immutable weights of a Llama decoder: zero-copy views into a memory-mapped GGUF
// file (llama2.c memory_map_weights), checked once at load for names, shapes, types and
// NaN/Inf. Sendable: any number of forward passes (with different LoRA adapters) may
// read one model at the same time; everything mutable lives in the pass or the KV cache.
//
// Tensor layout (ggml ne order, ne[0] contiguous): a matrix `blk.N.attn_q.weight` has
// ne = [in, out], i.e. `out` rows of `in` values, which is WeightMatrix's rows × cols.
// Llama W_q and W_k rows are in the RoPE-permuted order convert_hf_to_gguf.py writes;
// Qwen2 ones are in Hugging Face order (ModelArchitecture.swift).
import ModelFiles
import Quant

/// The matrices and norms of one decoder block.
struct LayerWeights: Sendable {
    /// [C]
    let attentionNorm: [Float]
    /// [C]
    let ffnNorm: [Float]
    /// Indexed by LoRATarget order: q [C, C], k [Hkv·D, C], v [Hkv·D, C], o [C, C],
    /// gate [F, C], up [F, C], down [C, F] (rows × cols).
    let matrices: [WeightMatrix]
    /// [rows] per matrix that has a `blk.N.<stem>.bias` (Qwen2: q, k, v; llama.cpp reads any
    /// of the seven as optional for both architectures, and so does this module).
    let biases: [LoRATarget: [Float]]
    /// The matrices unpacked for the integer kernels (LlamaModel.packingInt8Weights), in the
    /// same order; empty, or nil for a matrix, where they are unpacked per product.
    var packed: [Int8PackedWeight?]
    /// The matrices decoded to f32 for the f32-activation path (LlamaModel.decodingWeights), in
    /// the same order; empty, or nil for a matrix, where each product decodes its rows.
    var decoded: [DecodedWeight?]

    init(attentionNorm: [Float], ffnNorm: [Float], matrices: [WeightMatrix], biases: [LoRATarget: [Float]] = [:],
         packed: [Int8PackedWeight?] = [], decoded: [DecodedWeight?] = []) {
        self.attentionNorm = attentionNorm
        self.ffnNorm = ffnNorm
        self.matrices = matrices
        self.biases = biases
        self.packed = packed
        self.decoded = decoded
    }

    subscript(_ target: LoRATarget) -> WeightMatrix {
        matrices[LoRATarget.allCases.firstIndex(of: target) ?? 0]
    }

    func packed(_ target: LoRATarget) -> Int8PackedWeight? {
        guard let i = LoRATarget.allCases.firstIndex(of: target), i < packed.count else { return nil }
        return packed[i]
    }

    func decoded(_ target: LoRATarget) -> DecodedWeight? {
        guard let i = LoRATarget.allCases.firstIndex(of: target), i < decoded.count else { return nil }
        return decoded[i]
    }
}

/// A loaded Llama model. Create it with ``init(path:layers:)`` or ``init(gguf:layers:)``;
/// ``truncated(layers:)`` and ``replacingNorms(_:)`` derive models that share its weights.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// True when the GGUF has no `output.weight` and the LM head reuses `token_embd`.
    public let tiedOutput: Bool
    /// The GGUF file the weight views point into (kept alive with the model).
    public let file: GGUFFile
    /// [V, C] token embedding rows, any supported type.
    let tokenEmbedding: WeightMatrix
    /// [V, C] LM head.
    let output: WeightMatrix
    /// [C]
    let outputNorm: [Float]
    let layers: [LayerWeights]
    let rope: RoPETable
    /// Memory of matrices the model owns (merged LoRA weights), kept alive with it.
    let ownedStorage: [OwnedFloats]
    /// How the layer products treat activations (`.f32` unless made with ``withActivations(_:)``).
    public let activations: ActivationPrecision

    /// Element types a weight matrix may have.
    public static let supportedTypes: Set<GGMLType> = Set(GGMLType.allCases.filter(\.isDecodable))

    /// Opens and memory-maps the GGUF at `path`.
    /// - Parameter layers: run only the first `layers` decoder blocks (then `output_norm`),
    ///   1...block_count; nil = all. See ``truncated(layers:)``.
    public convenience init(path: String, layers: Int? = nil) throws {
        try self.init(gguf: try GGUFFile(path: path), layers: layers)
    }

    /// Builds the model over an opened GGUF, validating every tensor it uses (with
    /// `layers`, only the first `layers` blocks are read; `config.layerCount` is then `layers`).
    public init(gguf: GGUFFile, layers layerLimit: Int? = nil) throws {
        let embeddingInfo = try Self.info(gguf, LlamaTensorName.tokenEmbedding)
        var config = try LlamaConfig(gguf: gguf, vocabularyRows: embeddingInfo.shape.count == 2 ? embeddingInfo.shape[1] : nil)
        if let layerLimit {
            guard layerLimit >= 1, layerLimit <= config.layerCount else {
                throw LlamaError.layerCountOutOfRange(requested: layerLimit, available: config.layerCount)
            }
            config.layerCount = layerLimit
        }
        let c = config.width

        func matrix(_ name: String, rows: Int, cols: Int) throws -> WeightMatrix {
            let info = try Self.info(gguf, name)
            guard info.shape == [cols, rows] else {
                throw LlamaError.tensorShapeMismatch(name: name, expected: [cols, rows], found: info.shape)
            }
            guard Self.supportedTypes.contains(info.type) else {
                throw LlamaError.unsupportedTensorType(name: name, type: info.type.description)
            }
            let bytes = gguf.bytes(of: info)
            if let bad = WeightScan.firstNonFinite(bytes, type: info.type) {
                throw LlamaError.nonFiniteWeight(tensor: name, index: bad)
            }
            return try WeightMatrix(type: info.type, rows: rows, cols: cols, bytes: bytes)
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            let info = try Self.info(gguf, name)
            guard info.shape == [count] else {
                throw LlamaError.tensorShapeMismatch(name: name, expected: [count], found: info.shape)
            }
            let values = try gguf.floats(of: info)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw LlamaError.nonFiniteWeight(tensor: name, index: bad)
            }
            return values
        }

        tokenEmbedding = try matrix(LlamaTensorName.tokenEmbedding, rows: config.vocabSize, cols: c)
        if gguf.tensor(named: LlamaTensorName.output) != nil {
            output = try matrix(LlamaTensorName.output, rows: config.vocabSize, cols: c)
            tiedOutput = false
        } else {
            output = tokenEmbedding
            tiedOutput = true
        }
        outputNorm = try vector(LlamaTensorName.outputNorm, count: c)
        // llama.cpp reads an LM-head bias for Qwen2; no converted Llama or Qwen2 checkpoint has
        // one, so refuse it rather than run without it.
        if gguf.tensor(named: LlamaTensorName.outputBias) != nil {
            throw LlamaError.unsupportedTensor(name: LlamaTensorName.outputBias)
        }
        var layers: [LayerWeights] = []
        for l in 0 ..< config.layerCount {
            let matrices = try LoRATarget.allCases.map { t -> WeightMatrix in
                let (rows, cols) = t.shape(in: config)
                return try matrix(LlamaTensorName.matrix(l, t), rows: rows, cols: cols)
            }
            var biases: [LoRATarget: [Float]] = [:]
            for t in LoRATarget.allCases where gguf.tensor(named: LlamaTensorName.bias(l, t)) != nil {
                biases[t] = try vector(LlamaTensorName.bias(l, t), count: t.shape(in: config).rows)
            }
            layers.append(LayerWeights(attentionNorm: try vector(LlamaTensorName.attentionNorm(l), count: c),
                                       ffnNorm: try vector(LlamaTensorName.ffnNorm(l), count: c),
                                       matrices: matrices, biases: biases))
        }
        self.layers = layers
        var freqFactors: [Float]? = nil
        if gguf.tensor(named: LlamaTensorName.ropeFreqs) != nil {
            freqFactors = try vector(LlamaTensorName.ropeFreqs, count: config.ropeDimensionCount / 2)
        }
        rope = try RoPETable(config: config, freqFactors: freqFactors)
        self.config = config
        self.file = gguf
        ownedStorage = []
        activations = .f32
    }

    /// A model sharing `base`'s weights except `layers` (used for merging, truncating and
    /// norm replacement); `config.layerCount` follows `layers.count`.
    init(base: LlamaModel, layers: [LayerWeights], outputNorm: [Float]? = nil, storage: [OwnedFloats],
         activations: ActivationPrecision? = nil) {
        var config = base.config
        config.layerCount = layers.count
        self.config = config
        tiedOutput = base.tiedOutput
        file = base.file
        tokenEmbedding = base.tokenEmbedding
        output = base.output
        self.outputNorm = outputNorm ?? base.outputNorm
        self.layers = layers
        rope = base.rope
        ownedStorage = base.ownedStorage + storage
        self.activations = activations ?? base.activations
    }

    /// The element type of a layer's matrix (e.g. to report what a file holds).
    public func weightType(layer: Int, target: LoRATarget) -> GGMLType? {
        guard layer >= 0, layer < layers.count else { return nil }
        return layers[layer][target].type
    }

    /// The element type of the token embedding.
    public var tokenEmbeddingType: GGMLType { tokenEmbedding.type }

    private static func info(_ gguf: GGUFFile, _ name: String) throws -> GGUFTensorInfo {
        guard let info = gguf.tensor(named: name) else { throw LlamaError.missingTensor(name: name) }
        return info
    }
}

/// Heap memory for f32 matrices a model owns; immutable once filled.
final class OwnedFloats: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ values: [Float]) {
        buffer = .allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
    }
    deinit { buffer.deallocate() }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(buffer) }
}
