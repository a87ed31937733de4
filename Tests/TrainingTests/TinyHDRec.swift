// A tiny HDRec network over a random frozen base, in any scalar: two decoder layers of width 8
// (2 query heads sharing 1 KV head), vocabulary 12 ([SEQ] = 10, [ALIGN] = 11), 5 items, SASRec
// width 4. The gradient check of the whole network runs it in Double; the checkpoint tests in Float.
import TrainingOps
import Llama
import HDRecInference
@testable import Training

enum TinyHDRec {
    static let width = 8, vocabulary = 12, items = 5, sasrecWidth = 4
    static let seqToken: Int32 = 10, alignToken: Int32 = 11

    /// Random base weights (norm gains near 1) from `seed`.
    static func base<T: TrainScalar>(_: T.Type = T.self, layers: Int = 2, seed: UInt64) throws -> FrozenBase<T> {
        let config = try LlamaConfig(layerCount: layers, width: width, ffnWidth: 12, headCount: 2, kvHeadCount: 1,
                                     rmsEpsilon: 1e-5, ropeFreqBase: 10_000, vocabSize: vocabulary, contextLength: 64)
        var rng = TrainingRNG(seed: seed)
        func tensor(_ count: Int, around centre: Double = 0, scale: Double = 0.4) -> Tensor<T> {
            Tensor((0 ..< count).map { _ in T(centre + rng.uniform(-scale, scale)) })
        }
        let c = width, f = config.ffnWidth, kv = config.kvWidth
        let blocks = (0 ..< layers).map { _ in
            FrozenLayer<T>(attnNorm: tensor(c, around: 1, scale: 0.2), ffnNorm: tensor(c, around: 1, scale: 0.2),
                           wq: tensor(c * c), wk: tensor(kv * c), wv: tensor(kv * c), wo: tensor(c * c),
                           wGate: tensor(f * c), wUp: tensor(f * c), wDown: tensor(c * f))
        }
        return try FrozenBase(config: config, tokenEmbedding: tensor(vocabulary * c, scale: 1),
                              outputNorm: tensor(c, around: 1, scale: 0.2), layers: blocks)
    }

    /// The network's sizes: small heads, LoRA r 2 on every default target, dropout on.
    static func config(layers: Int = 2) -> HDRecNetworkConfig {
        var config = HDRecNetworkConfig(layers: layers, projectorHidden: 6, iplHidden: 6)
        config.sasrecWidth = sasrecWidth
        config.loraRank = 2
        config.loraAlpha = 4
        return config
    }

    static func network<T: TrainScalar>(base: FrozenBase<T>, config: HDRecNetworkConfig, seed: UInt64) throws -> HDRecNetwork<T> {
        var rng = TrainingRNG(seed: seed)
        let table = (0 ..< (items + 1) * sasrecWidth).map { _ in T(rng.uniform(-1, 1)) }
        let network = try HDRecNetwork(base: base, config: config, sasrec: table, itemCount: items,
                                       seqToken: seqToken, alignToken: alignToken)
        if config.iplKind == .factorized {
            let k = HDRecParameters<T>.itemTableWidth(config, modelWidth: width)
            network.itemTable = Tensor((0 ..< items * k).map { _ in T(rng.uniform(-1, 1)) })
        }
        return network
    }

    /// Two users' text prompts (two supervised [SEQ] each, different lengths, so the batch is
    /// left-padded) and one item-alignment prompt ([ALIGN]).
    static let textPrompts = [
        prompt([1, 2, 3, seqToken, 4, 5, seqToken], supervised: [(3, 1), (6, 4)]),
        prompt([6, seqToken, 7, seqToken], supervised: [(1, 0), (3, 2)]),
        prompt([8, 9, 2, alignToken], supervised: [(3, 3)]),
    ]

    /// The same two users' ID prompts: item slots take projected SASRec rows.
    static let idPrompts = [
        prompt([1, 0, 2, seqToken, 0, seqToken], slots: [(1, 2), (4, 0)], supervised: [(3, 1), (5, 4)]),
        prompt([0, seqToken, 3, 0, seqToken], slots: [(0, 3), (3, 1)], supervised: [(1, 0), (4, 2)]),
    ]

    static func prompt(_ tokens: [Int32], slots: [(Int, Int)] = [], supervised: [(Int, Int)]) -> PromptSequence {
        PromptSequence(tokens: tokens, itemSlots: slots.map { ItemSlot(position: $0.0, item: $0.1) },
                       supervision: supervised.map { Supervision(position: $0.0, target: $0.1) },
                       readPosition: tokens.count - 1, prefixLength: 0, items: slots.map(\.1))
    }
}
