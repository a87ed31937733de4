// SASRec (Kang & McAuley, ICDM 2018) as configured by RecBole 1.2.1: learned
// item and position embeddings, LayerNorm and dropout on their sum, then
// post-LN Transformer blocks (x = LN(x + Drop(Attn(x))); x = LN(x + Drop(FFN(x)))),
// GELU feed-forward, and item scores as dot products with the (tied) item
// embedding table. RecBole's post-LN was chosen over the original's pre-LN so
// the model matches the peer figures' configuration.
//
// Sequences in a batch are packed end to end (no padding): every position
// attends causally within its own sequence only, so the whole sequence is
// trained at once (one target per position, as the original SASRec) and no
// compute goes to padding. Position ids restart at 0 for each sequence.
//
// Dropout masks are TrainingOps' counter-based ones, keyed per site by the step's seed and
// each sequence's sample key (SASRecBatch.keys), then indexed by position and feature (or
// head, query and key position for the attention probabilities). A sample therefore draws
// the same masks whichever batch or data-parallel shard it is in (SASRecTrainer).
import Support
import TrainingOps

/// A batch of sequences packed end to end.
public struct SASRecBatch: Sendable {
    /// Item index (0-based) at each packed position.
    public var items: [Int]
    /// Sequence b occupies positions starts[b]..<starts[b+1].
    public var starts: [Int]
    /// Sequence b's sample key: its dropout masks and sampled negatives are drawn from streams
    /// keyed by it, so they do not depend on which other sequences share the batch (a data-parallel
    /// rank's shard draws what the whole batch would). The trainer uses the example's index.
    public var keys: [UInt64]
    public var positions: Int { items.count }
    public var count: Int { starts.count - 1 }

    /// Packs sequences (each non-empty, at most maxLength long); `keys` default to 0, 1, 2, ...
    public init(sequences: [ArraySlice<Int>], keys: [UInt64]? = nil) {
        items = []
        starts = [0]
        for s in sequences {
            items.append(contentsOf: s)
            starts.append(items.count)
        }
        self.keys = keys ?? (0..<sequences.count).map { UInt64($0) }
        precondition(self.keys.count == sequences.count, "one key per sequence")
    }
}

/// SASRec over a flat parameter buffer, with a hand-written backward pass built from TrainingOps'
/// ops (Float trains on their fast paths; Double is the gradient checks' reference).
public struct SASRecModel<T: TrainScalar>: Sendable {
    public let layout: SASRecLayout
    public var parameters: [T]

    public init(layout: SASRecLayout, parameters: [T]) {
        self.layout = layout
        self.parameters = parameters
    }

    public init(config: SASRecConfig, numItems: Int) {
        layout = SASRecLayout(config: config, numItems: numItems)
        parameters = layout.initialParameters(seed: config.seed)
    }

    var d: Int { layout.config.hidden }

    // MARK: Forward

    struct BlockCache {
        var input: [T] = [], q: [T] = [], k: [T] = [], v: [T] = []
        var probs: [T] = [], attentionMask: [T]? = nil, ctx: [T] = []
        var attentionOut: [T] = [], attentionOutMask: [T]? = nil
        var xhat1: [T] = [], rstd1: [T] = [], a: [T] = []
        var f1pre: [T] = [], f1: [T] = [], f2: [T] = [], f2Mask: [T]? = nil
        var xhat2: [T] = [], rstd2: [T] = []
    }

    /// Everything the backward pass needs.
    struct Cache {
        var batch: SASRecBatch
        var offsets: [Int]
        var xhat0: [T] = [], rstd0: [T] = [], mask0: [T]? = nil
        var blocks: [BlockCache] = []
        /// [P, d]: the output of the last block.
        var hidden: [T] = []
    }

    /// Hidden-dropout multipliers [P, d] at dropout `site`: sequence b's rows come from the stream
    /// derive(derive(seed, site), keys[b]) at index t·d + j (position t in the sequence, feature j).
    static func hiddenMask(_ batch: SASRecBatch, d: Int, p: Double, seed: UInt64, site: Int) -> [T] {
        var m = [T](repeating: 0, count: batch.positions * d)
        let siteSeed = TrainingRNG.derive(seed, UInt64(site))
        m.withUnsafeMutableBufferPointer { mb in
            for b in 0..<batch.count {
                Dropout.factors(mb.baseAddress! + batch.starts[b] * d, seed: TrainingRNG.derive(siteSeed, batch.keys[b]),
                                start: 0, count: (batch.starts[b + 1] - batch.starts[b]) * d, p: p)
            }
        }
        return m
    }

    /// Attention-dropout multipliers in PackedCausalAttention's probability layout: sequence b's
    /// block (heads, T, T) comes from the stream derive(derive(seed, site), keys[b]) at index (h·T + t)·T + j.
    static func attentionMask(_ batch: SASRecBatch, offsets: [Int], p: Double, seed: UInt64, site: Int) -> [T] {
        var m = [T](repeating: 0, count: offsets.last!)
        let siteSeed = TrainingRNG.derive(seed, UInt64(site))
        m.withUnsafeMutableBufferPointer { mb in
            for b in 0..<batch.count {
                Dropout.factors(mb.baseAddress! + offsets[b], seed: TrainingRNG.derive(siteSeed, batch.keys[b]),
                                start: 0, count: offsets[b + 1] - offsets[b], p: p)
            }
        }
        return m
    }

    // Dropout sites: 0 the embeddings; per block l, 1 + 3l its attention output, 2 + 3l its
    // attention probabilities, 3 + 3l its feed-forward output. The BCE negatives use `negativeSite`.
    static var negativeSite: Int { -1 }

    /// Runs the network; dropout is active when `dropoutSeed` is given (one seed per training step).
    func forward(_ batch: SASRecBatch, dropoutSeed: UInt64?) -> Cache {
        let c = layout.config, d = self.d, f = c.inner, P = batch.positions
        let eps = c.layerNormEps
        var cache = Cache(batch: batch, offsets: PackedCausalAttention.offsets(starts: batch.starts, heads: c.heads))
        parameters.withUnsafeBufferPointer { pb in
            let w = pb.baseAddress!
            var x = [T](repeating: 0, count: P * d)
            for b in 0..<batch.count {
                for (t, pos) in (batch.starts[b]..<batch.starts[b + 1]).enumerated() {
                    let e = w + layout.itemEmbedding + (batch.items[pos] + 1) * d
                    let pe = w + layout.positionEmbedding + min(t, c.maxLength - 1) * d
                    for j in 0..<d { x[pos * d + j] = e[j] + pe[j] }
                }
            }
            var h = [T](repeating: 0, count: P * d)
            cache.xhat0 = [T](repeating: 0, count: P * d)
            cache.rstd0 = [T](repeating: 0, count: P)
            LayerNorm.forward(out: &h, xhat: &cache.xhat0, rstd: &cache.rstd0, input: x, gamma: w + layout.ln0g, beta: w + layout.ln0b,
                              m: P, c: d, eps: eps)
            if let seed = dropoutSeed, c.hiddenDropout > 0 {
                let m = Self.hiddenMask(batch, d: d, p: c.hiddenDropout, seed: seed, site: 0)
                for i in 0..<(P * d) { h[i] *= m[i] }
                cache.mask0 = m
            }
            for (l, blk) in layout.blocks.enumerated() {
                var bc = BlockCache()
                bc.input = h
                bc.q = [T](repeating: 0, count: P * d); bc.k = bc.q; bc.v = bc.q
                Linear.forward(out: &bc.q, input: h, weight: w + blk.wq, bias: w + blk.bq, m: P, n: d, k: d)
                Linear.forward(out: &bc.k, input: h, weight: w + blk.wk, bias: w + blk.bk, m: P, n: d, k: d)
                Linear.forward(out: &bc.v, input: h, weight: w + blk.wv, bias: w + blk.bv, m: P, n: d, k: d)
                bc.probs = [T](repeating: 0, count: cache.offsets.last!)
                if let seed = dropoutSeed, c.attentionDropout > 0 {
                    bc.attentionMask = Self.attentionMask(batch, offsets: cache.offsets, p: c.attentionDropout, seed: seed, site: 2 + 3 * l)
                }
                bc.ctx = [T](repeating: 0, count: P * d)
                bc.attentionMask.withUnsafeBufferPointerOrNil { mask in
                    PackedCausalAttention.forward(out: &bc.ctx, probs: &bc.probs, q: bc.q, k: bc.k, v: bc.v, mask: mask,
                                                  starts: batch.starts, offsets: cache.offsets, heads: c.heads, d: d)
                }
                bc.attentionOut = [T](repeating: 0, count: P * d)
                Linear.forward(out: &bc.attentionOut, input: bc.ctx, weight: w + blk.wo, bias: w + blk.bo, m: P, n: d, k: d)
                var sum = bc.attentionOut
                if let seed = dropoutSeed, c.hiddenDropout > 0 {
                    let m = Self.hiddenMask(batch, d: d, p: c.hiddenDropout, seed: seed, site: 1 + 3 * l)
                    for i in 0..<(P * d) { sum[i] *= m[i] }
                    bc.attentionOutMask = m
                }
                for i in 0..<(P * d) { sum[i] += h[i] }
                bc.a = [T](repeating: 0, count: P * d); bc.xhat1 = bc.a; bc.rstd1 = [T](repeating: 0, count: P)
                LayerNorm.forward(out: &bc.a, xhat: &bc.xhat1, rstd: &bc.rstd1, input: sum, gamma: w + blk.ln1g, beta: w + blk.ln1b,
                                  m: P, c: d, eps: eps)
                bc.f1pre = [T](repeating: 0, count: P * f); bc.f1 = bc.f1pre
                Linear.forward(out: &bc.f1pre, input: bc.a, weight: w + blk.w1, bias: w + blk.b1, m: P, n: f, k: d)
                GELU.forward(out: &bc.f1, input: bc.f1pre, count: P * f)
                bc.f2 = [T](repeating: 0, count: P * d)
                Linear.forward(out: &bc.f2, input: bc.f1, weight: w + blk.w2, bias: w + blk.b2, m: P, n: d, k: f)
                var sum2 = bc.f2
                if let seed = dropoutSeed, c.hiddenDropout > 0 {
                    let m = Self.hiddenMask(batch, d: d, p: c.hiddenDropout, seed: seed, site: 3 + 3 * l)
                    for i in 0..<(P * d) { sum2[i] *= m[i] }
                    bc.f2Mask = m
                }
                for i in 0..<(P * d) { sum2[i] += bc.a[i] }
                bc.xhat2 = [T](repeating: 0, count: P * d); bc.rstd2 = [T](repeating: 0, count: P)
                LayerNorm.forward(out: &h, xhat: &bc.xhat2, rstd: &bc.rstd2, input: sum2, gamma: w + blk.ln2g, beta: w + blk.ln2b,
                                  m: P, c: d, eps: eps)
                cache.blocks.append(bc)
            }
            cache.hidden = h
        }
        return cache
    }

    // MARK: Backward

    /// Accumulates d(loss)/d(parameters) into `grads`, given d(loss)/d(hidden) [P, d].
    func backward(_ cache: Cache, dHidden: [T], grads: inout [T]) {
        let c = layout.config, d = self.d, f = c.inner, P = cache.batch.positions
        parameters.withUnsafeBufferPointer { pb in
            grads.withUnsafeMutableBufferPointer { gb in
                let w = pb.baseAddress!, g = gb.baseAddress!
                var dOut = dHidden
                var dSum = [T](repeating: 0, count: P * d)
                var dBranch = [T](repeating: 0, count: P * d)
                var dF1 = [T](repeating: 0, count: P * f)
                var dF1pre = [T](repeating: 0, count: P * f)
                var dq = [T](repeating: 0, count: P * d), dk = dq, dv = dq, dCtx = dq
                // The ops accumulate into their input gradients; these buffers start from zero each time.
                func zero(_ buffer: inout [T]) { for i in buffer.indices { buffer[i] = 0 } }
                for (l, blk) in layout.blocks.enumerated().reversed() {
                    let bc = cache.blocks[l]
                    // x = LN2(a + Drop(FFN(a)))
                    zero(&dSum)
                    LayerNorm.backward(dInput: &dSum, dGamma: g + blk.ln2g, dBeta: g + blk.ln2b, dOut: dOut, xhat: bc.xhat2,
                                       rstd: bc.rstd2, gamma: w + blk.ln2g, m: P, c: d)
                    var dA = dSum
                    for i in 0..<(P * d) { dBranch[i] = dSum[i] * (bc.f2Mask?[i] ?? 1) }
                    zero(&dF1)
                    Linear.backward(dInput: &dF1, dWeight: g + blk.w2, dBias: g + blk.b2, dOut: dBranch, input: bc.f1,
                                    weight: w + blk.w2, m: P, n: d, k: f)
                    zero(&dF1pre)
                    GELU.backward(dInput: &dF1pre, dOut: dF1, input: bc.f1pre, count: P * f)
                    Linear.backward(dInput: &dA, dWeight: g + blk.w1, dBias: g + blk.b1, dOut: dF1pre, input: bc.a,
                                    weight: w + blk.w1, m: P, n: f, k: d)
                    // a = LN1(input + Drop(Wo·Attn(input)))
                    zero(&dSum)
                    LayerNorm.backward(dInput: &dSum, dGamma: g + blk.ln1g, dBeta: g + blk.ln1b, dOut: dA, xhat: bc.xhat1,
                                       rstd: bc.rstd1, gamma: w + blk.ln1g, m: P, c: d)
                    var dInput = dSum
                    for i in 0..<(P * d) { dBranch[i] = dSum[i] * (bc.attentionOutMask?[i] ?? 1) }
                    zero(&dCtx)
                    Linear.backward(dInput: &dCtx, dWeight: g + blk.wo, dBias: g + blk.bo, dOut: dBranch, input: bc.ctx,
                                    weight: w + blk.wo, m: P, n: d, k: d)
                    bc.attentionMask.withUnsafeBufferPointerOrNil { mask in
                        PackedCausalAttention.backward(dQ: &dq, dK: &dk, dV: &dv, dOut: dCtx, q: bc.q, k: bc.k, v: bc.v,
                                                       probs: bc.probs, mask: mask, starts: cache.batch.starts,
                                                       offsets: cache.offsets, heads: c.heads, d: d)
                    }
                    Linear.backward(dInput: &dInput, dWeight: g + blk.wq, dBias: g + blk.bq, dOut: dq, input: bc.input,
                                    weight: w + blk.wq, m: P, n: d, k: d)
                    // The key bias adds q_t·b to every score of query t, which softmax ignores: its
                    // gradient is exactly 0, and summing dk's rows would only give rounding noise
                    // that Adam scales up to full-size steps (different for every summation order,
                    // so data-parallel ranks would not match one process). It keeps its exact 0.
                    Linear.backward(dInput: &dInput, dWeight: g + blk.wk, dBias: nil, dOut: dk, input: bc.input,
                                    weight: w + blk.wk, m: P, n: d, k: d)
                    Linear.backward(dInput: &dInput, dWeight: g + blk.wv, dBias: g + blk.bv, dOut: dv, input: bc.input,
                                    weight: w + blk.wv, m: P, n: d, k: d)
                    dOut = dInput
                }
                // h0 = Drop(LN0(E[item] + Pos[t]))
                if let m = cache.mask0 { for i in 0..<(P * d) { dOut[i] *= m[i] } }
                zero(&dSum)
                LayerNorm.backward(dInput: &dSum, dGamma: g + layout.ln0g, dBeta: g + layout.ln0b, dOut: dOut, xhat: cache.xhat0,
                                   rstd: cache.rstd0, gamma: w + layout.ln0g, m: P, c: d)
                let batch = cache.batch
                for b in 0..<batch.count {
                    for (t, pos) in (batch.starts[b]..<batch.starts[b + 1]).enumerated() {
                        let ge = g + layout.itemEmbedding + (batch.items[pos] + 1) * d
                        let gp = g + layout.positionEmbedding + min(t, c.maxLength - 1) * d
                        for j in 0..<d { ge[j] += dSum[pos * d + j]; gp[j] += dSum[pos * d + j] }
                    }
                }
            }
        }
    }

    // MARK: Scores

    /// logits[rows, N] = hidden[rows, d] · E[1...N]ᵀ (the tied output layer, padding row excluded).
    func itemLogits(hidden: [T], rows: Int) -> [T] {
        var logits = [T](repeating: 0, count: rows * layout.numItems)
        parameters.withUnsafeBufferPointer { pb in
            T.gemmLinear(&logits, hidden, pb.baseAddress! + layout.itemEmbedding + d, m: rows, n: layout.numItems, k: d, accumulate: false)
        }
        return logits
    }

    /// Scores of every item after the last position of each sequence (no dropout): [B, N].
    public func scoreNext(_ batch: SASRecBatch) -> [T] {
        let cache = forward(batch, dropoutSeed: nil)
        var last = [T](repeating: 0, count: batch.count * d)
        for b in 0..<batch.count {
            let pos = batch.starts[b + 1] - 1
            for j in 0..<d { last[b * d + j] = cache.hidden[pos * d + j] }
        }
        return itemLogits(hidden: last, rows: batch.count)
    }

    /// Hidden states of every position without dropout: [P, d]. Row p scores the item after
    /// position p as hidden[p]·E[i + 1] (SASRec's user state there).
    public func hiddenStates(_ batch: SASRecBatch) -> [T] {
        return forward(batch, dropoutSeed: nil).hidden
    }

    // MARK: Loss

    /// The loss summed over all positions of `batch` predicting `targets` (one per position) and
    /// divided by `normalizer` (default: the batch's positions, i.e. the mean), and its gradient
    /// accumulated into `grads`. A data-parallel rank passes the global batch's position count,
    /// so that the ranks' losses and gradients sum to the global batch's mean. Dropout is active
    /// when `dropoutSeed` is given; BCE negatives are drawn from it (a fixed seed without it).
    func lossAndGradient(_ batch: SASRecBatch, targets: [Int], dropoutSeed: UInt64?, normalizer: Int? = nil,
                         grads: inout [T]) -> Double {
        let P = batch.positions, d = self.d, n = layout.numItems
        let N = normalizer ?? P
        let cache = forward(batch, dropoutSeed: dropoutSeed)
        var dHidden = [T](repeating: 0, count: P * d)
        let scale = T(1) / T(N)
        var loss = 0.0
        switch layout.config.loss {
        case .ce:
            var logits = itemLogits(hidden: cache.hidden, rows: P)
            loss = SoftmaxCrossEntropy.lossAndGradientInPlace(logits: &logits, targets: targets, v: n, gradScale: scale) / Double(N)
            parameters.withUnsafeBufferPointer { pb in
                T.gemm(&dHidden, logits, pb.baseAddress! + layout.itemEmbedding + d, m: P, n: d, k: n, accumulate: false)
            }
            grads.withUnsafeMutableBufferPointer { gb in
                T.gemmTransA(gb.baseAddress! + layout.itemEmbedding + d, logits, cache.hidden, m: n, n: d, k: P, accumulate: true)
            }
        case .bce:
            // Position t of sequence b draws its negative from stream derive(derive(seed, site), keys[b]) at t.
            let negativeSeed = TrainingRNG.derive(dropoutSeed ?? 0x5A5, UInt64(bitPattern: Int64(Self.negativeSite)))
            var sequenceOf = [Int](repeating: 0, count: P)
            for b in 0..<batch.count { for p in batch.starts[b]..<batch.starts[b + 1] { sequenceOf[p] = b } }
            parameters.withUnsafeBufferPointer { pb in
                grads.withUnsafeMutableBufferPointer { gb in
                    let w = pb.baseAddress!, g = gb.baseAddress!
                    for p in 0..<P {
                        let b = sequenceOf[p]
                        let stream = TrainingRNG.derive(negativeSeed, batch.keys[b])
                        let bits = TrainingRNG.mix(stream &+ UInt64(p - batch.starts[b]) &* 0x9E37_79B9_7F4A_7C15)
                        var negative = Int(bits % UInt64(max(n - 1, 1)))
                        if negative >= targets[p] { negative += 1 }
                        for (item, label) in [(targets[p], T(1)), (negative, T(0))] where item < n {
                            let e = w + layout.itemEmbedding + (item + 1) * d
                            var s: T = 0
                            for j in 0..<d { s += cache.hidden[p * d + j] * e[j] }
                            // -[y log σ(s) + (1-y) log(1-σ(s))] = softplus(s) - y s
                            let sp = s > 0 ? s + T.log(1 + T.exp(-s)) : T.log(1 + T.exp(s))
                            loss += Double(sp - label * s) / Double(N)
                            let sig = 1 / (1 + T.exp(-s))
                            let gs = (sig - label) * scale
                            let ge = g + layout.itemEmbedding + (item + 1) * d
                            for j in 0..<d {
                                dHidden[p * d + j] += gs * e[j]
                                ge[j] += gs * cache.hidden[p * d + j]
                            }
                        }
                    }
                }
            }
        }
        backward(cache, dHidden: dHidden, grads: &grads)
        return loss
    }
}

extension Optional {
    /// Calls `body` with a buffer's base address, or nil when the optional array is nil.
    func withUnsafeBufferPointerOrNil<E, R>(_ body: (UnsafePointer<E>?) -> R) -> R where Wrapped == [E] {
        switch self {
        case .none: return body(nil)
        case let .some(array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
