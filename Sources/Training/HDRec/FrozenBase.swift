// The frozen decoder as training sees it: the first L layers of a GGUF Llama or Qwen2
// base, dequantized once to T (f32 in training, f64 in gradient checks; weights keep GGUF row order: Llama q/k rows are
// already permuted for adjacent-pair RoPE, Qwen2 ones are not and rotate halves, and
// either way a B trained here is in the order the Llama module's LoRAAdapter expects),
// with the base's biases and RoPE frequency factors. Nothing here is ever written after load.
// Tests build a tiny random one from its tensors (`init(config:tokenEmbedding:outputNorm:layers:)`).
//
// Memory (f32): SmolLM2-135M, L layers: 49152·576 token table (113 MB) + L · 3.5 M
// weights (14 MB per layer); L = 4 → about 170 MB.
import Foundation
import Llama
import ModelFiles
import TrainingOps

/// The frozen weights of one decoder layer (PyTorch/GGUF [out, in] layout).
public final class FrozenLayer<T: TrainScalar>: @unchecked Sendable {
    /// (C) each
    public let attnNorm: Tensor<T>, ffnNorm: Tensor<T>
    /// (H·D, C), (Hkv·D, C), (Hkv·D, C), (C, H·D), (F, C), (F, C), (C, F)
    public let wq: Tensor<T>, wk: Tensor<T>, wv: Tensor<T>, wo: Tensor<T>
    public let wGate: Tensor<T>, wUp: Tensor<T>, wDown: Tensor<T>
    /// (out) frozen biases of the projections that have one (Qwen2: q, k, v)
    public let biases: [LoRATargets: Tensor<T>]

    /// A layer from its tensors (shapes above; a test's random base).
    public init(attnNorm: Tensor<T>, ffnNorm: Tensor<T>, wq: Tensor<T>, wk: Tensor<T>, wv: Tensor<T>, wo: Tensor<T>,
                wGate: Tensor<T>, wUp: Tensor<T>, wDown: Tensor<T>, biases: [LoRATargets: Tensor<T>] = [:]) {
        self.attnNorm = attnNorm; self.ffnNorm = ffnNorm
        self.wq = wq; self.wk = wk; self.wv = wv; self.wo = wo
        self.wGate = wGate; self.wUp = wUp; self.wDown = wDown
        self.biases = biases
    }

    init(gguf: GGUFFile, layer l: Int) throws {
        func load(_ name: String) throws -> Tensor<T> {
            guard let info = gguf.tensor(named: name) else { throw HDRecTrainingError.missingBaseTensor(name: name) }
            let values = try gguf.floats(of: info)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw HDRecTrainingError.nonFiniteBaseWeight(tensor: name, index: bad)
            }
            return FrozenBase<T>.tensor(values)
        }
        attnNorm = try load(LlamaTensorName.attentionNorm(l))
        ffnNorm = try load(LlamaTensorName.ffnNorm(l))
        wq = try load(LlamaTensorName.matrix(l, .q)); wk = try load(LlamaTensorName.matrix(l, .k))
        wv = try load(LlamaTensorName.matrix(l, .v)); wo = try load(LlamaTensorName.matrix(l, .o))
        wGate = try load(LlamaTensorName.matrix(l, .gate)); wUp = try load(LlamaTensorName.matrix(l, .up))
        wDown = try load(LlamaTensorName.matrix(l, .down))
        var biases: [LoRATargets: Tensor<T>] = [:]
        for (t, _) in targetOrder where gguf.tensor(named: LlamaTensorName.bias(l, llamaTarget(t))) != nil {
            biases[t] = try load(LlamaTensorName.bias(l, llamaTarget(t)))
        }
        self.biases = biases
    }

    /// The block's view of these weights, with `attnNorm`/`ffnNorm` replacing the gains when given.
    func blockWeights(attnNorm: UnsafePointer<T>? = nil, ffnNorm: UnsafePointer<T>? = nil) -> LlamaBlockWeights<T> {
        var w = LlamaBlockWeights(attnNorm: attnNorm ?? self.attnNorm.const, wq: wq.const, wk: wk.const, wv: wv.const,
                                  wo: wo.const, ffnNorm: ffnNorm ?? self.ffnNorm.const, wGate: wGate.const,
                                  wUp: wUp.const, wDown: wDown.const)
        w.biases = biases.mapValues { $0.const }
        return w
    }

    var byteCount: Int {
        [attnNorm, ffnNorm, wq, wk, wv, wo, wGate, wUp, wDown].reduce(0) { $0 + $1.byteCount }
            + biases.values.reduce(0) { $0 + $1.byteCount }
    }
}

/// The frozen base: token table, the first L layers, and the final norm.
public final class FrozenBase<T: TrainScalar>: @unchecked Sendable {
    /// The base configuration restricted to the layers used.
    public let config: LlamaConfig
    /// (V, C)
    public let tokenEmbedding: Tensor<T>
    /// (C)
    public let outputNorm: Tensor<T>
    public let layers: [FrozenLayer<T>]
    /// (D/2) Llama 3 RoPE frequency factors (`rope_freqs.weight`), or nil.
    public let ropeFreqFactors: [Double]?

    /// A base from its tensors (a test's random base); `config.layerCount` must equal `layers.count`.
    public init(config: LlamaConfig, tokenEmbedding: Tensor<T>, outputNorm: Tensor<T>, layers: [FrozenLayer<T>],
                ropeFreqFactors: [Double]? = nil) throws {
        guard config.layerCount == layers.count, tokenEmbedding.count == config.vocabSize * config.width,
              outputNorm.count == config.width, config.ropeDimensionCount == config.headDim else {
            throw HDRecTrainingError.invalidConfiguration(field: "base",
                reason: "\(layers.count) layers, \(tokenEmbedding.count) embedding and \(outputNorm.count) norm values do not fit \(config)")
        }
        self.config = config; self.tokenEmbedding = tokenEmbedding; self.outputNorm = outputNorm
        self.layers = layers; self.ropeFreqFactors = ropeFreqFactors
    }

    /// f32 values from a GGUF file as T (the same buffer's values when T is Float).
    static func tensor(_ values: [Float]) -> Tensor<T> {
        if let same = values as? [T] { return Tensor(same) }
        return Tensor(values.map { T($0) })
    }

    /// - Parameter layers: decoder layers to use (the first `layers`), 1...block_count.
    public init(gguf: GGUFFile, layers count: Int) throws {
        guard let embedding = gguf.tensor(named: LlamaTensorName.tokenEmbedding) else {
            throw HDRecTrainingError.missingBaseTensor(name: LlamaTensorName.tokenEmbedding)
        }
        var config = try LlamaConfig(gguf: gguf, vocabularyRows: embedding.shape.count == 2 ? embedding.shape[1] : nil)
        guard count >= 1, count <= config.layerCount else {
            throw HDRecTrainingError.invalidConfiguration(field: "layers", reason: "must be in 1...\(config.layerCount), found \(count)")
        }
        config.layerCount = count
        // The trainer's RoPE turns the whole head (as every supported base does).
        guard config.ropeDimensionCount == config.headDim else {
            throw HDRecTrainingError.invalidConfiguration(field: "rope.dimension_count",
                                                          reason: "training needs it equal to the head width \(config.headDim), found \(config.ropeDimensionCount)")
        }
        self.config = config
        if let info = gguf.tensor(named: LlamaTensorName.ropeFreqs) {
            let factors = try gguf.floats(of: info)
            guard factors.count == config.headDim / 2, factors.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw HDRecTrainingError.invalidConfiguration(field: LlamaTensorName.ropeFreqs,
                                                              reason: "needs \(config.headDim / 2) positive factors, found \(factors.count)")
            }
            ropeFreqFactors = factors.map(Double.init)
        } else {
            ropeFreqFactors = nil
        }
        tokenEmbedding = Self.tensor(try gguf.floats(of: embedding))
        guard let norm = gguf.tensor(named: LlamaTensorName.outputNorm) else {
            throw HDRecTrainingError.missingBaseTensor(name: LlamaTensorName.outputNorm)
        }
        outputNorm = Self.tensor(try gguf.floats(of: norm))
        layers = try (0 ..< count).map { try FrozenLayer(gguf: gguf, layer: $0) }
    }

    /// `c` with this base's RoPE: NORM or NEOX pairs, frequency factors, linear scaling.
    public func withRoPE(_ c: LlamaBlockConfig) -> LlamaBlockConfig {
        var c = c
        c.ropeStyle = config.ropeStyle
        c.ropeFreqFactors = ropeFreqFactors
        c.ropeFreqScale = Double(config.ropeFreqScale)
        return c
    }

    /// Bytes of weights held for training.
    public var byteCount: Int {
        tokenEmbedding.byteCount + outputNorm.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }

    /// The mean of the token table's rows: the start value of an added token's row
    /// (transformers' mean-resizing, which the public code relies on).
    public func meanTokenRow() -> [T] {
        let c = config.width, v = config.vocabSize
        var mean = [Double](repeating: 0, count: c)
        for r in 0 ..< v { for j in 0 ..< c { mean[j] += Double(tokenEmbedding[r * c + j]) } }
        return mean.map { T($0 / Double(v)) }
    }
}
