// SASRec's parameters in one flat buffer, so the optimizer, gradient
// accumulation and checkpoint copies are single loops. `Layout` gives every
// tensor's offset and shape; the names match the exported tensors.
import TrainingOps

/// Offsets of each tensor in the flat parameter buffer.
public struct SASRecLayout: Sendable {
    public struct Block: Sendable {
        public var wq = 0, bq = 0, wk = 0, bk = 0, wv = 0, bv = 0, wo = 0, bo = 0
        public var ln1g = 0, ln1b = 0, w1 = 0, b1 = 0, w2 = 0, b2 = 0, ln2g = 0, ln2b = 0
    }
    public let config: SASRecConfig
    public let numItems: Int
    /// [numItems + 1, d]; row 0 is padding (kept zero), row i+1 is item i.
    public private(set) var itemEmbedding = 0
    /// [maxLength, d]
    public private(set) var positionEmbedding = 0
    public private(set) var ln0g = 0, ln0b = 0
    public private(set) var blocks: [Block] = []
    public private(set) var count = 0
    /// (name, offset, shape) of every tensor, in layout order.
    public private(set) var tensors: [(name: String, offset: Int, shape: [Int])] = []

    public init(config: SASRecConfig, numItems: Int) {
        self.config = config
        self.numItems = numItems
        let d = config.hidden, f = config.inner
        func take(_ name: String, _ shape: [Int]) -> Int {
            let o = count
            tensors.append((name, o, shape))
            count += shape.reduce(1, *)
            return o
        }
        itemEmbedding = take("item_embedding", [numItems + 1, d])
        positionEmbedding = take("position_embedding", [config.maxLength, d])
        ln0g = take("layer_norm.weight", [d])
        ln0b = take("layer_norm.bias", [d])
        for l in 0..<config.blocks {
            var b = Block()
            let p = "blocks.\(l)."
            b.wq = take(p + "query.weight", [d, d]); b.bq = take(p + "query.bias", [d])
            b.wk = take(p + "key.weight", [d, d]); b.bk = take(p + "key.bias", [d])
            b.wv = take(p + "value.weight", [d, d]); b.bv = take(p + "value.bias", [d])
            b.wo = take(p + "attention_output.weight", [d, d]); b.bo = take(p + "attention_output.bias", [d])
            b.ln1g = take(p + "attention_norm.weight", [d]); b.ln1b = take(p + "attention_norm.bias", [d])
            b.w1 = take(p + "ffn_in.weight", [f, d]); b.b1 = take(p + "ffn_in.bias", [f])
            b.w2 = take(p + "ffn_out.weight", [d, f]); b.b2 = take(p + "ffn_out.bias", [d])
            b.ln2g = take(p + "ffn_norm.weight", [d]); b.ln2b = take(p + "ffn_norm.bias", [d])
            blocks.append(b)
        }
    }

    /// Initial values: N(0, initStd) for embeddings and weight matrices, zero biases,
    /// LayerNorm γ = 1 and β = 0, and a zero padding row.
    public func initialParameters<T: TrainScalar>(seed: UInt64, as: T.Type = T.self) -> [T] {
        var rng = SplitMix64Bridge(seed: seed)
        var p = [T](repeating: 0, count: count)
        for t in tensors {
            let n = t.shape.reduce(1, *)
            if t.name.hasSuffix("norm.weight") || t.name == "layer_norm.weight" {
                for i in 0..<n { p[t.offset + i] = 1 }
            } else if t.shape.count == 2 {
                for i in 0..<n { p[t.offset + i] = T(rng.gaussian() * config.initStd) }
            }
        }
        for j in 0..<config.hidden { p[itemEmbedding + j] = 0 }
        return p
    }
}

import Support

/// Keeps SplitMix64 use in one place for parameter initialisation.
struct SplitMix64Bridge {
    var rng: SplitMix64
    init(seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func gaussian() -> Double { rng.nextGaussian() }
}
