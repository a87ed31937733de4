// The frozen decoder as training sees it: the first L layers of a GGUF Llama base,
// dequantized once to f32 (weights keep GGUF row order, so q/k rows are already
// permuted for adjacent-pair RoPE and a B trained here is in the order the Llama
// module's LoRAAdapter expects). Nothing here is ever written after load.
//
// Memory (f32): SmolLM2-135M, L layers: 49152·576 token table (113 MB) + L · 3.5 M
// weights (14 MB per layer); L = 4 → about 170 MB.
import Foundation
import Llama
import ModelFiles

/// The frozen f32 weights of one decoder layer (PyTorch/GGUF [out, in] layout).
public final class FrozenLayer: @unchecked Sendable {
    /// (C) each
    public let attnNorm: Tensor<Float>, ffnNorm: Tensor<Float>
    /// (H·D, C), (Hkv·D, C), (Hkv·D, C), (C, H·D), (F, C), (F, C), (C, F)
    public let wq: Tensor<Float>, wk: Tensor<Float>, wv: Tensor<Float>, wo: Tensor<Float>
    public let wGate: Tensor<Float>, wUp: Tensor<Float>, wDown: Tensor<Float>

    init(gguf: GGUFFile, layer l: Int) throws {
        func load(_ name: String) throws -> Tensor<Float> {
            guard let info = gguf.tensor(named: name) else { throw HDRecTrainingError.missingBaseTensor(name: name) }
            let values = try gguf.floats(of: info)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw HDRecTrainingError.nonFiniteBaseWeight(tensor: name, index: bad)
            }
            return Tensor(values)
        }
        attnNorm = try load(LlamaTensorName.attentionNorm(l))
        ffnNorm = try load(LlamaTensorName.ffnNorm(l))
        wq = try load(LlamaTensorName.matrix(l, .q)); wk = try load(LlamaTensorName.matrix(l, .k))
        wv = try load(LlamaTensorName.matrix(l, .v)); wo = try load(LlamaTensorName.matrix(l, .o))
        wGate = try load(LlamaTensorName.matrix(l, .gate)); wUp = try load(LlamaTensorName.matrix(l, .up))
        wDown = try load(LlamaTensorName.matrix(l, .down))
    }

    var byteCount: Int {
        [attnNorm, ffnNorm, wq, wk, wv, wo, wGate, wUp, wDown].reduce(0) { $0 + $1.byteCount }
    }
}

/// The frozen base: token table, the first L layers, and the final norm.
public final class FrozenBase: @unchecked Sendable {
    /// The base configuration restricted to the layers used.
    public let config: LlamaConfig
    /// (V, C)
    public let tokenEmbedding: Tensor<Float>
    /// (C)
    public let outputNorm: Tensor<Float>
    public let layers: [FrozenLayer]

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
        self.config = config
        tokenEmbedding = Tensor(try gguf.floats(of: embedding))
        guard let norm = gguf.tensor(named: LlamaTensorName.outputNorm) else {
            throw HDRecTrainingError.missingBaseTensor(name: LlamaTensorName.outputNorm)
        }
        outputNorm = Tensor(try gguf.floats(of: norm))
        layers = try (0 ..< count).map { try FrozenLayer(gguf: gguf, layer: $0) }
    }

    /// Bytes of f32 weights held for training.
    public var byteCount: Int {
        tokenEmbedding.byteCount + outputNorm.byteCount + layers.reduce(0) { $0 + $1.byteCount }
    }

    /// The mean of the token table's rows: the start value of an added token's row
    /// (transformers' mean-resizing, which the public code relies on).
    public func meanTokenRow() -> [Float] {
        let c = config.width, v = config.vocabSize
        var mean = [Double](repeating: 0, count: c)
        for r in 0 ..< v { for j in 0 ..< c { mean[j] += Double(tokenEmbedding[r * c + j]) } }
        return mean.map { Float($0 / Double(v)) }
    }
}
