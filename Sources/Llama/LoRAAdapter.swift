// A LoRA adapter over a Llama base: per (layer, target) a pair A [R, in], B [out, R]
// and a scale, applied unmerged at matmul time as y = W x + scale · B (A x)
// (PEFT tuners/lora/layer.py; llama.cpp llm_build_lora_mm). Immutable and Sendable, so
// one adapter serves many concurrent passes; per-pass scratch lives in the pass.
//
// Row order: B is kept in the GGUF row order of the base, i.e. for q and k the rows are
// already permuted for RoPE the way convert_hf_to_gguf.py permutes W_q/W_k (see
// RoPEPermutation.swift). PEFT files hold the Hugging Face order and are converted on
// read and write; GGUF LoRA files already hold this order.
//
// Scale: alpha / R, or alpha / √R for rsLoRA (PEFT `use_rslora`), with R the rank of
// each pair (PEFT `rank_pattern` changes R per module, and llama.cpp takes R from B).

/// One adapted matrix: y += scale · B (A x).
public struct LoRAPair: Sendable, Equatable {
    /// R
    public let rank: Int
    /// in: the base matrix's input features.
    public let inFeatures: Int
    /// out: the base matrix's output features.
    public let outFeatures: Int
    /// [R, in] row-major.
    public let a: [Float]
    /// [out, R] row-major, GGUF row order.
    public let b: [Float]

    public init(a: [Float], b: [Float], rank: Int, inFeatures: Int, outFeatures: Int) throws {
        guard rank > 0, a.count == rank * inFeatures, b.count == outFeatures * rank else {
            throw LlamaError.invalidArgument(
                "LoRA pair sizes disagree: rank \(rank), in \(inFeatures), out \(outFeatures), |A| \(a.count), |B| \(b.count)")
        }
        self.rank = rank
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.a = a
        self.b = b
    }
}

/// How an adapter's per-pair scale is derived from alpha and the rank.
public enum LoRAScaling: Sendable, Equatable {
    /// alpha / R (PEFT default, llama.cpp).
    case standard
    /// alpha / √R (rsLoRA, PEFT `use_rslora = true`).
    case rankStabilized
}

/// A named LoRA adapter, validated against the base model configuration it was loaded for.
public final class LoRAAdapter: Sendable {
    /// The name a caller selects it by (e.g. "text", "id").
    public let name: String
    /// alpha (PEFT `lora_alpha`, GGUF `adapter.lora.alpha`).
    public let alpha: Float
    public let scaling: LoRAScaling
    /// The base configuration the shapes were checked against.
    public let base: LlamaConfig
    /// The adapted matrices.
    public let pairs: [LoRASite: LoRAPair]

    /// Builds an adapter from pairs whose B rows are in GGUF order, checking every shape
    /// against `base` and every value for NaN/Inf.
    public init(name: String, alpha: Float, scaling: LoRAScaling = .standard,
                base: LlamaConfig, pairs: [LoRASite: LoRAPair]) throws {
        guard alpha.isFinite else { throw LlamaError.adapterMissingMetadata(key: "alpha (finite)") }
        for (site, pair) in pairs.sorted(by: { $0.key < $1.key }) {
            let tensor = site.ggufTensorName
            guard site.layer >= 0, site.layer < base.layerCount else {
                throw LlamaError.adapterUnknownTensor(name: tensor)
            }
            let (rows, cols) = site.target.shape(in: base)
            guard pair.inFeatures == cols else {
                throw LlamaError.adapterShapeMismatch(tensor: tensor + ".lora_a", expected: [pair.rank, cols],
                                                      found: [pair.rank, pair.inFeatures])
            }
            guard pair.outFeatures == rows else {
                throw LlamaError.adapterShapeMismatch(tensor: tensor + ".lora_b", expected: [rows, pair.rank],
                                                      found: [pair.outFeatures, pair.rank])
            }
            if let i = pair.a.firstIndex(where: { !$0.isFinite }) {
                throw LlamaError.adapterNonFinite(tensor: tensor + ".lora_a", index: i)
            }
            if let i = pair.b.firstIndex(where: { !$0.isFinite }) {
                throw LlamaError.adapterNonFinite(tensor: tensor + ".lora_b", index: i)
            }
        }
        self.name = name
        self.alpha = alpha
        self.scaling = scaling
        self.base = base
        self.pairs = pairs
    }

    /// The factor in front of B(Ax) for a pair of rank `rank` (before the user scale).
    public func scale(rank: Int) -> Float {
        switch scaling {
        case .standard: return alpha / Float(rank)
        case .rankStabilized: return alpha / Float(rank).squareRoot()
        }
    }

    /// The largest rank among the pairs (PEFT's `r` when all pairs share one).
    public var rank: Int { pairs.values.map(\.rank).max() ?? 0 }

    /// The targets adapted in at least one layer.
    public var targets: [LoRATarget] { Array(Set(pairs.keys.map(\.target))).sorted() }

    /// A copy with another name.
    public func renamed(_ newName: String) throws -> LoRAAdapter {
        try LoRAAdapter(name: newName, alpha: alpha, scaling: scaling, base: base, pairs: pairs)
    }

    /// A fresh adapter with A drawn uniformly in ±1/√in and B = 0 (so it starts as the
    /// identity, as PEFT initializes), on `targets` of every layer. `seed` makes it reproducible.
    public static func fresh(name: String, base: LlamaConfig, rank: Int, alpha: Float,
                             targets: [LoRATarget], scaling: LoRAScaling = .standard,
                             seed: UInt64) throws -> LoRAAdapter {
        var rng = SplitMix64(seed: seed)
        var pairs: [LoRASite: LoRAPair] = [:]
        for layer in 0 ..< base.layerCount {
            for target in targets {
                let (rows, cols) = target.shape(in: base)
                let bound = 1 / Float(cols).squareRoot()
                let a = (0 ..< rank * cols).map { _ in (rng.nextFloat() * 2 - 1) * bound }
                pairs[LoRASite(layer: layer, target: target)] = try LoRAPair(
                    a: a, b: [Float](repeating: 0, count: rows * rank), rank: rank, inFeatures: cols, outFeatures: rows)
            }
        }
        return try LoRAAdapter(name: name, alpha: alpha, scaling: scaling, base: base, pairs: pairs)
    }
}

/// SplitMix64 (Steele et al. 2014): a tiny seeded generator for reproducible
/// initialization and sampling.
struct SplitMix64: Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
}
