// The hyper-parameters of a Llama-family decoder, read from GGUF metadata
// (`general.architecture` = llama or qwen2, keys `<arch>.*`, as llama.cpp's llama-arch.cpp
// names them; ModelArchitecture.swift) and validated once, so the forward pass can trust
// every derived size.
//
// Glossary used in shape comments across this module:
//   T positions in a pass, C model width, F FFN width, H query heads, Hkv KV heads,
//   D head width, V vocabulary, R LoRA rank, L layers.
import ModelFiles

/// Llama hyper-parameters. Build it from a GGUF file with ``init(gguf:)``.
public struct LlamaConfig: Sendable, Equatable {
    /// `general.architecture`: where the keys below live and how RoPE pairs values.
    public var architecture: ModelArchitecture
    /// L: decoder blocks (`llama.block_count`).
    public var layerCount: Int
    /// C: residual width (`llama.embedding_length`).
    public var width: Int
    /// F: SwiGLU hidden width (`llama.feed_forward_length`).
    public var ffnWidth: Int
    /// H: query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// Hkv: key/value heads (`llama.attention.head_count_kv`, default H).
    public var kvHeadCount: Int
    /// RMSNorm epsilon (`llama.attention.layer_norm_rms_epsilon`).
    public var rmsEpsilon: Float
    /// RoPE base θ (`llama.rope.freq_base`, default 10 000).
    public var ropeFreqBase: Float
    /// Rotated dimensions per head (`llama.rope.dimension_count`, default D).
    public var ropeDimensionCount: Int
    /// Position multiplier for linear RoPE scaling: 1 / `llama.rope.scaling.factor`
    /// when `llama.rope.scaling.type = linear`, else 1.
    public var ropeFreqScale: Float
    /// V: vocabulary size (`llama.vocab_size`, else the token-embedding row count).
    public var vocabSize: Int
    /// Longest sequence the model was trained for (`llama.context_length`).
    public var contextLength: Int

    /// D: per-head width, C / H.
    public var headDim: Int { width / headCount }
    /// Width of the K and V projections, Hkv · D.
    public var kvWidth: Int { kvHeadCount * headDim }
    /// Query heads that share one KV head (grouped-query attention).
    public var headsPerKVHead: Int { headCount / kvHeadCount }
    /// How RoPE pairs the values of a head (from the architecture).
    public var ropeStyle: RoPEStyle { architecture.ropeStyle }

    public init(architecture: ModelArchitecture = .llama, layerCount: Int, width: Int, ffnWidth: Int, headCount: Int, kvHeadCount: Int,
                rmsEpsilon: Float, ropeFreqBase: Float = 10_000, ropeDimensionCount: Int? = nil,
                ropeFreqScale: Float = 1, vocabSize: Int, contextLength: Int) throws {
        self.architecture = architecture
        self.layerCount = layerCount
        self.width = width
        self.ffnWidth = ffnWidth
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.rmsEpsilon = rmsEpsilon
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensionCount = ropeDimensionCount ?? (headCount > 0 ? width / headCount : 0)
        self.ropeFreqScale = ropeFreqScale
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        try validate()
    }

    /// Reads `<arch>.*` metadata. `vocabularyRows` (the token-embedding row count) is the
    /// fallback for the vocabulary size when `<arch>.vocab_size` is absent, as in llama.cpp.
    public init(gguf: GGUFFile, vocabularyRows: Int? = nil) throws {
        let architecture = try ModelArchitecture(name: gguf.string("general.architecture") ?? "")
        let p = architecture.metadataPrefix
        func int(_ key: String) throws -> Int {
            guard let v = gguf.uint(p + key) else { throw LlamaError.missingMetadata(key: p + key) }
            guard v >= 0, v <= Int(Int32.max) else {
                throw LlamaError.invalidMetadata(key: p + key, reason: "value \(v) is too large")
            }
            return v
        }
        func optionalInt(_ key: String) throws -> Int? {
            gguf.uint(p + key) == nil ? nil : try int(key)
        }
        let heads = try int("attention.head_count")
        var freqScale: Float = 1
        if let type = gguf.string(p + "rope.scaling.type"), type != "none" {
            guard type == "linear" else {
                throw LlamaError.invalidMetadata(key: p + "rope.scaling.type",
                                                 reason: "'\(type)' is not supported (none, linear; Llama-3 scaling comes as rope_freqs.weight)")
            }
            guard let factor = gguf.float(p + "rope.scaling.factor"), factor > 0 else {
                throw LlamaError.invalidMetadata(key: p + "rope.scaling.factor", reason: "missing or not positive")
            }
            freqScale = 1 / factor
        }
        guard let eps = gguf.float(p + "attention.layer_norm_rms_epsilon") else {
            throw LlamaError.missingMetadata(key: p + "attention.layer_norm_rms_epsilon")
        }
        let vocab = try optionalInt("vocab_size") ?? vocabularyRows
        guard let vocab else { throw LlamaError.missingMetadata(key: p + "vocab_size") }
        try self.init(architecture: architecture,
                      layerCount: try int("block_count"),
                      width: try int("embedding_length"),
                      ffnWidth: try int("feed_forward_length"),
                      headCount: heads,
                      kvHeadCount: try optionalInt("attention.head_count_kv") ?? heads,
                      rmsEpsilon: eps,
                      ropeFreqBase: gguf.float(p + "rope.freq_base") ?? 10_000,
                      ropeDimensionCount: try optionalInt("rope.dimension_count"),
                      ropeFreqScale: freqScale,
                      vocabSize: vocab,
                      contextLength: try optionalInt("context_length") ?? 2048)
    }

    /// Checks that the sizes are consistent; the forward pass relies on every rule here.
    public func validate() throws {
        func bad(_ key: String, _ reason: String) -> LlamaError {
            .invalidMetadata(key: architecture.metadataPrefix + key, reason: reason)
        }
        guard layerCount > 0 else { throw bad("block_count", "must be positive, found \(layerCount)") }
        guard width > 0 else { throw bad("embedding_length", "must be positive, found \(width)") }
        guard ffnWidth > 0 else { throw bad("feed_forward_length", "must be positive, found \(ffnWidth)") }
        guard headCount > 0, width % headCount == 0 else {
            throw bad("attention.head_count", "\(headCount) does not divide the width \(width)")
        }
        guard kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw bad("attention.head_count_kv", "\(kvHeadCount) does not divide the head count \(headCount)")
        }
        guard headDim % 2 == 0 else { throw bad("attention.head_count", "head width \(headDim) is odd") }
        guard ropeDimensionCount > 0, ropeDimensionCount <= headDim, ropeDimensionCount % 2 == 0 else {
            throw bad("rope.dimension_count", "\(ropeDimensionCount) must be even and at most the head width \(headDim)")
        }
        guard rmsEpsilon.isFinite, rmsEpsilon > 0 else {
            throw bad("attention.layer_norm_rms_epsilon", "must be positive, found \(rmsEpsilon)")
        }
        guard ropeFreqBase.isFinite, ropeFreqBase > 0 else { throw bad("rope.freq_base", "must be positive, found \(ropeFreqBase)") }
        guard ropeFreqScale.isFinite, ropeFreqScale > 0 else { throw bad("rope.scaling.factor", "must be positive") }
        guard vocabSize > 0 else { throw bad("vocab_size", "must be positive, found \(vocabSize)") }
        guard contextLength > 0 else { throw bad("context_length", "must be positive, found \(contextLength)") }
    }
}
