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
import Support

/// A batch of sequences packed end to end.
public struct SASRecBatch: Sendable {
    /// Item index (0-based) at each packed position.
    public var items: [Int]
    /// Sequence b occupies positions starts[b]..<starts[b+1].
    public var starts: [Int]
    public var positions: Int { items.count }
    public var count: Int { starts.count - 1 }

    /// Packs sequences (each non-empty, at most maxLength long).
    public init(sequences: [ArraySlice<Int>]) {
        items = []
        starts = [0]
        for s in sequences {
            items.append(contentsOf: s)
            starts.append(items.count)
        }
    }
}

/// SASRec over a flat parameter buffer, with a hand-written backward pass.
public struct SASRecModel<T: SASRecScalar>: Sendable {
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

    static func dropoutMask(count: Int, p: Double, rng: inout SplitMix64) -> [T] {
        let keep = T(1 / (1 - p))
        var m = [T](repeating: 0, count: count)
        for i in 0..<count where rng.nextUnit() >= p { m[i] = keep }
        return m
    }

    /// Runs the network; dropout is active when `rng` is given.
    func forward(_ batch: SASRecBatch, rng: inout SplitMix64?) -> Cache {
        let c = layout.config, d = self.d, f = c.inner, P = batch.positions
        let eps = T(c.layerNormEps)
        var cache = Cache(batch: batch, offsets: SASRecOps.attentionOffsets(starts: batch.starts, heads: c.heads))
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
            SASRecOps.layerNorm(x, gamma: w + layout.ln0g, beta: w + layout.ln0b, y: &h, xhat: &cache.xhat0, rstd: &cache.rstd0, rows: P, d: d, eps: eps)
            if rng != nil && c.hiddenDropout > 0 {
                let m = Self.dropoutMask(count: P * d, p: c.hiddenDropout, rng: &rng!)
                for i in 0..<(P * d) { h[i] *= m[i] }
                cache.mask0 = m
            }
            for blk in layout.blocks {
                var bc = BlockCache()
                bc.input = h
                bc.q = [T](repeating: 0, count: P * d); bc.k = bc.q; bc.v = bc.q
                SASRecOps.linear(&bc.q, h, w + blk.wq, w + blk.bq, rows: P, n: d, k: d)
                SASRecOps.linear(&bc.k, h, w + blk.wk, w + blk.bk, rows: P, n: d, k: d)
                SASRecOps.linear(&bc.v, h, w + blk.wv, w + blk.bv, rows: P, n: d, k: d)
                bc.probs = [T](repeating: 0, count: cache.offsets.last!)
                if rng != nil && c.attentionDropout > 0 {
                    bc.attentionMask = Self.dropoutMask(count: bc.probs.count, p: c.attentionDropout, rng: &rng!)
                }
                bc.ctx = [T](repeating: 0, count: P * d)
                bc.attentionMask.withUnsafeBufferPointerOrNil { mask in
                    SASRecOps.attention(q: bc.q, k: bc.k, v: bc.v, ctx: &bc.ctx, probs: &bc.probs, mask: mask,
                                        starts: batch.starts, offsets: cache.offsets, heads: c.heads, d: d)
                }
                bc.attentionOut = [T](repeating: 0, count: P * d)
                SASRecOps.linear(&bc.attentionOut, bc.ctx, w + blk.wo, w + blk.bo, rows: P, n: d, k: d)
                var sum = bc.attentionOut
                if rng != nil && c.hiddenDropout > 0 {
                    let m = Self.dropoutMask(count: P * d, p: c.hiddenDropout, rng: &rng!)
                    for i in 0..<(P * d) { sum[i] *= m[i] }
                    bc.attentionOutMask = m
                }
                for i in 0..<(P * d) { sum[i] += h[i] }
                bc.a = [T](repeating: 0, count: P * d); bc.xhat1 = bc.a; bc.rstd1 = [T](repeating: 0, count: P)
                SASRecOps.layerNorm(sum, gamma: w + blk.ln1g, beta: w + blk.ln1b, y: &bc.a, xhat: &bc.xhat1, rstd: &bc.rstd1, rows: P, d: d, eps: eps)
                bc.f1pre = [T](repeating: 0, count: P * f); bc.f1 = bc.f1pre
                SASRecOps.linear(&bc.f1pre, bc.a, w + blk.w1, w + blk.b1, rows: P, n: f, k: d)
                SASRecOps.gelu(bc.f1pre, &bc.f1, count: P * f)
                bc.f2 = [T](repeating: 0, count: P * d)
                SASRecOps.linear(&bc.f2, bc.f1, w + blk.w2, w + blk.b2, rows: P, n: d, k: f)
                var sum2 = bc.f2
                if rng != nil && c.hiddenDropout > 0 {
                    let m = Self.dropoutMask(count: P * d, p: c.hiddenDropout, rng: &rng!)
                    for i in 0..<(P * d) { sum2[i] *= m[i] }
                    bc.f2Mask = m
                }
                for i in 0..<(P * d) { sum2[i] += bc.a[i] }
                bc.xhat2 = [T](repeating: 0, count: P * d); bc.rstd2 = [T](repeating: 0, count: P)
                SASRecOps.layerNorm(sum2, gamma: w + blk.ln2g, beta: w + blk.ln2b, y: &h, xhat: &bc.xhat2, rstd: &bc.rstd2, rows: P, d: d, eps: eps)
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
                for (l, blk) in layout.blocks.enumerated().reversed() {
                    let bc = cache.blocks[l]
                    // x = LN2(a + Drop(FFN(a)))
                    SASRecOps.layerNormBackward(dy: dOut, xhat: bc.xhat2, rstd: bc.rstd2, gamma: w + blk.ln2g, dx: &dSum,
                                                dgamma: g + blk.ln2g, dbeta: g + blk.ln2b, rows: P, d: d)
                    var dA = dSum
                    for i in 0..<(P * d) { dBranch[i] = dSum[i] * (bc.f2Mask?[i] ?? 1) }
                    SASRecOps.linearBackward(dy: dBranch, x: bc.f1, w: w + blk.w2, dx: &dF1, dw: g + blk.w2, db: g + blk.b2,
                                             rows: P, n: d, k: f, accumulateDx: false)
                    SASRecOps.geluBackward(x: bc.f1pre, dy: dF1, dx: &dF1pre, count: P * f)
                    SASRecOps.linearBackward(dy: dF1pre, x: bc.a, w: w + blk.w1, dx: &dA, dw: g + blk.w1, db: g + blk.b1,
                                             rows: P, n: f, k: d, accumulateDx: true)
                    // a = LN1(input + Drop(Wo·Attn(input)))
                    SASRecOps.layerNormBackward(dy: dA, xhat: bc.xhat1, rstd: bc.rstd1, gamma: w + blk.ln1g, dx: &dSum,
                                                dgamma: g + blk.ln1g, dbeta: g + blk.ln1b, rows: P, d: d)
                    var dInput = dSum
                    for i in 0..<(P * d) { dBranch[i] = dSum[i] * (bc.attentionOutMask?[i] ?? 1) }
                    SASRecOps.linearBackward(dy: dBranch, x: bc.ctx, w: w + blk.wo, dx: &dCtx, dw: g + blk.wo, db: g + blk.bo,
                                             rows: P, n: d, k: d, accumulateDx: false)
                    bc.attentionMask.withUnsafeBufferPointerOrNil { mask in
                        SASRecOps.attentionBackward(q: bc.q, k: bc.k, v: bc.v, probs: bc.probs, mask: mask, dctx: dCtx,
                                                    dq: &dq, dk: &dk, dv: &dv, starts: cache.batch.starts, offsets: cache.offsets,
                                                    heads: c.heads, d: d)
                    }
                    SASRecOps.linearBackward(dy: dq, x: bc.input, w: w + blk.wq, dx: &dInput, dw: g + blk.wq, db: g + blk.bq,
                                             rows: P, n: d, k: d, accumulateDx: true)
                    SASRecOps.linearBackward(dy: dk, x: bc.input, w: w + blk.wk, dx: &dInput, dw: g + blk.wk, db: g + blk.bk,
                                             rows: P, n: d, k: d, accumulateDx: true)
                    SASRecOps.linearBackward(dy: dv, x: bc.input, w: w + blk.wv, dx: &dInput, dw: g + blk.wv, db: g + blk.bv,
                                             rows: P, n: d, k: d, accumulateDx: true)
                    dOut = dInput
                }
                // h0 = Drop(LN0(E[item] + Pos[t]))
                if let m = cache.mask0 { for i in 0..<(P * d) { dOut[i] *= m[i] } }
                SASRecOps.layerNormBackward(dy: dOut, xhat: cache.xhat0, rstd: cache.rstd0, gamma: w + layout.ln0g, dx: &dSum,
                                            dgamma: g + layout.ln0g, dbeta: g + layout.ln0b, rows: P, d: d)
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
            T.gemmNT(&logits, hidden, pb.baseAddress! + layout.itemEmbedding + d, m: rows, n: layout.numItems, k: d, accumulate: false)
        }
        return logits
    }

    /// Scores of every item after the last position of each sequence (no dropout): [B, N].
    public func scoreNext(_ batch: SASRecBatch) -> [T] {
        var none: SplitMix64? = nil
        let cache = forward(batch, rng: &none)
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
        var none: SplitMix64? = nil
        return forward(batch, rng: &none).hidden
    }

    // MARK: Loss

    /// Mean loss over all positions of `batch` predicting `targets` (one per position), and its gradient
    /// accumulated into `grads`. Dropout (and BCE negative sampling) use `rng` when given.
    func lossAndGradient(_ batch: SASRecBatch, targets: [Int], rng: inout SplitMix64?, grads: inout [T]) -> Double {
        let P = batch.positions, d = self.d, n = layout.numItems
        let cache = forward(batch, rng: &rng)
        var dHidden = [T](repeating: 0, count: P * d)
        let scale = T(1) / T(P)
        var loss = 0.0
        switch layout.config.loss {
        case .ce:
            var logits = itemLogits(hidden: cache.hidden, rows: P)
            loss = SASRecOps.softmaxCrossEntropy(logits: &logits, targets: targets, n: n, gradScale: scale) / Double(P)
            parameters.withUnsafeBufferPointer { pb in
                T.gemmNN(&dHidden, logits, pb.baseAddress! + layout.itemEmbedding + d, m: P, n: d, k: n, accumulate: false)
            }
            grads.withUnsafeMutableBufferPointer { gb in
                T.gemmTN(gb.baseAddress! + layout.itemEmbedding + d, logits, cache.hidden, m: n, n: d, k: P, accumulate: true)
            }
        case .bce:
            var sampler = rng ?? SplitMix64(seed: 0x5A5)
            parameters.withUnsafeBufferPointer { pb in
                grads.withUnsafeMutableBufferPointer { gb in
                    let w = pb.baseAddress!, g = gb.baseAddress!
                    for p in 0..<P {
                        var negative = Int(sampler.next() % UInt64(max(n - 1, 1)))
                        if negative >= targets[p] { negative += 1 }
                        for (item, label) in [(targets[p], T(1)), (negative, T(0))] where item < n {
                            let e = w + layout.itemEmbedding + (item + 1) * d
                            var s: T = 0
                            for j in 0..<d { s += cache.hidden[p * d + j] * e[j] }
                            // -[y log σ(s) + (1-y) log(1-σ(s))] = softplus(s) - y s
                            let sp = s > 0 ? s + T.logarithm(1 + T.expo(-s)) : T.logarithm(1 + T.expo(s))
                            loss += Double(sp - label * s) / Double(P)
                            let sig = 1 / (1 + T.expo(-s))
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
            if rng != nil { rng = sampler }
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
