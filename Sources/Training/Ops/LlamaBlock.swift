// LlamaBlock: one pre-norm Llama (or Qwen2) decoder layer with LoRA adapters, forward + backward.
//
//   xn1 = RMSNorm(x; w_attn)                    h = x + Wo·Attn(RoPE(Wq·xn1 + bq), RoPE(Wk·xn1 + bk), Wv·xn1 + bv)
//   xn2 = RMSNorm(h; w_ffn)                     y = h + Wdown·(silu(Wgate·xn2) ⊙ Wup·xn2)
// Each projection in `LoRATargets` adds s·B·A·drop(·) (LoRALinear.swift; HDRec default q, k, v, o,
// up, down, docs/public-code.md §3). The base weights are frozen f32; the norm gains get a
// gradient only when the caller passes buffers for them (`--train-norms`). Biases (Qwen2's q, k,
// v; optional on any projection) are frozen too: they shift a projection's output, so backward,
// which needs only W and the adapters for dInput, dA and dB, does not read them. RoPE follows the
// base (config.rope: NORM or NEOX pairs, Llama 3 frequency factors).
//
// What is saved (LlamaBlockActivations, counted per token in docs/training.md): the block input
// x, post-RoPE q and k, v, attention output and lse, the mid residual h, gate and up
// pre-activations, rstd of both norms, and every adapter's R-wide u. Normalised inputs, the SwiGLU
// product and dropout masks are recomputed in backward; the block output is the next block's x.
//
// Glossary: M = B·T rows, C dim, F FFN dim, H heads, Hkv KV heads, D head dim, R LoRA rank.

import Llama
import TrainingOps

/// Which projections carry a LoRA adapter.
public struct LoRATargets: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let q = LoRATargets(rawValue: 1 << 0)
    public static let k = LoRATargets(rawValue: 1 << 1)
    public static let v = LoRATargets(rawValue: 1 << 2)
    public static let o = LoRATargets(rawValue: 1 << 3)
    public static let gate = LoRATargets(rawValue: 1 << 4)
    public static let up = LoRATargets(rawValue: 1 << 5)
    public static let down = LoRATargets(rawValue: 1 << 6)
    /// HDRec / the public code: q, k, v, o, up, down (gate is not targeted).
    public static let hdrecDefault: LoRATargets = [.q, .k, .v, .o, .up, .down]
    public static let all: LoRATargets = [.q, .k, .v, .o, .gate, .up, .down]
}

/// Sizes and hyper-parameters of one decoder layer.
public struct LlamaBlockConfig: Sendable, Equatable {
    public var dim: Int, ffnDim: Int, heads: Int, kvHeads: Int, headDim: Int
    public var rmsEps: Double, ropeBase: Double
    public var loraRank: Int, loraAlpha: Double, loraDropout: Double
    public var targets: LoRATargets
    /// RoPE layout and frequency adjustments of the base (defaults: NORM pairs, none).
    public var ropeStyle: RoPEStyle = .adjacentPairs
    public var ropeFreqFactors: [Double]? = nil
    public var ropeFreqScale: Double = 1
    /// (M) the LoRA dropout key of each row (Sources/TrainingOps/RowKeyedDropout.swift); nil: masks by element index.
    public var dropoutRowKeys: [UInt64]? = nil

    public init(dim: Int, ffnDim: Int, heads: Int, kvHeads: Int, headDim: Int, rmsEps: Double, ropeBase: Double,
                loraRank: Int, loraAlpha: Double, loraDropout: Double, targets: LoRATargets) {
        self.dim = dim; self.ffnDim = ffnDim; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
        self.rmsEps = rmsEps; self.ropeBase = ropeBase
        self.loraRank = loraRank; self.loraAlpha = loraAlpha; self.loraDropout = loraDropout; self.targets = targets
    }

    /// SmolLM2-135M with HDRec's adapters (r 8, alpha 32, dropout 0.3 on q, k, v, o, up, down).
    public static let smolLM2 = LlamaBlockConfig(dim: 576, ffnDim: 1536, heads: 9, kvHeads: 3, headDim: 64,
                                                 rmsEps: 1e-5, ropeBase: 100_000, loraRank: 8, loraAlpha: 32,
                                                 loraDropout: 0.3, targets: .hdrecDefault)

    public var loraScale: Double { loraAlpha / Double(loraRank) }
    public var rope: RoPEParameters {
        RoPEParameters(base: ropeBase, style: ropeStyle, freqFactors: ropeFreqFactors, freqScale: ropeFreqScale)
    }
    public var qDim: Int { heads * headDim }
    public var kvDim: Int { kvHeads * headDim }
    public var attention: AttentionShape { AttentionShape(heads: heads, kvHeads: kvHeads, headDim: headDim) }

    /// (out, in) of each projection.
    public func projection(_ t: LoRATargets) -> (out: Int, in: Int) {
        switch t {
        case .q: return (qDim, dim)
        case .k, .v: return (kvDim, dim)
        case .o: return (dim, qDim)
        case .gate, .up: return (ffnDim, dim)
        default: return (dim, ffnDim) // .down
        }
    }
}

/// The frozen base weights of one layer (PyTorch [out, in] layout, f32 after dequantisation).
public struct LlamaBlockWeights<T: TrainScalar> {
    /// (C)
    public var attnNorm: UnsafePointer<T>
    /// (H·D, C), (Hkv·D, C), (Hkv·D, C), (C, H·D)
    public var wq: UnsafePointer<T>, wk: UnsafePointer<T>, wv: UnsafePointer<T>, wo: UnsafePointer<T>
    /// (C)
    public var ffnNorm: UnsafePointer<T>
    /// (F, C), (F, C), (C, F)
    public var wGate: UnsafePointer<T>, wUp: UnsafePointer<T>, wDown: UnsafePointer<T>
    /// (out) frozen bias of a projection, where the base has one (Qwen2: q, k, v)
    public var biases: [LoRATargets: UnsafePointer<T>] = [:]

    public init(attnNorm: UnsafePointer<T>, wq: UnsafePointer<T>, wk: UnsafePointer<T>, wv: UnsafePointer<T>,
                wo: UnsafePointer<T>, ffnNorm: UnsafePointer<T>, wGate: UnsafePointer<T>, wUp: UnsafePointer<T>,
                wDown: UnsafePointer<T>) {
        self.attnNorm = attnNorm; self.wq = wq; self.wk = wk; self.wv = wv; self.wo = wo
        self.ffnNorm = ffnNorm; self.wGate = wGate; self.wUp = wUp; self.wDown = wDown
    }

    func weight(_ t: LoRATargets) -> UnsafePointer<T> {
        switch t {
        case .q: return wq
        case .k: return wk
        case .v: return wv
        case .o: return wo
        case .gate: return wGate
        case .up: return wUp
        default: return wDown
        }
    }
}

/// One adapter's A (R, in) and B (out, R).
public struct LoRAWeights<T: TrainScalar> {
    public var a: UnsafePointer<T>, b: UnsafePointer<T>
    public init(a: UnsafePointer<T>, b: UnsafePointer<T>) { self.a = a; self.b = b }
}

/// One adapter's gradient buffers dA (R, in) and dB (out, R).
public struct LoRAGradients<T: TrainScalar> {
    public var a: UnsafeMutablePointer<T>, b: UnsafeMutablePointer<T>
    public init(a: UnsafeMutablePointer<T>, b: UnsafeMutablePointer<T>) { self.a = a; self.b = b }
}

/// The active adapter of one layer: weights per target (nil: no adapter on that projection).
public struct LlamaBlockAdapter<T: TrainScalar> {
    public var byTarget: [LoRATargets: LoRAWeights<T>]
    public init(_ byTarget: [LoRATargets: LoRAWeights<T>] = [:]) { self.byTarget = byTarget }
}

/// Gradient buffers of one layer; nil entries get no gradient (frozen).
public struct LlamaBlockGradients<T: TrainScalar> {
    /// (C) each, only with trainable norms
    public var attnNorm: UnsafeMutablePointer<T>?, ffnNorm: UnsafeMutablePointer<T>?
    public var byTarget: [LoRATargets: LoRAGradients<T>]
    public init(attnNorm: UnsafeMutablePointer<T>? = nil, ffnNorm: UnsafeMutablePointer<T>? = nil,
                byTarget: [LoRATargets: LoRAGradients<T>] = [:]) {
        self.attnNorm = attnNorm; self.ffnNorm = ffnNorm; self.byTarget = byTarget
    }
}

/// What one layer keeps between forward and backward, for M rows.
public final class LlamaBlockActivations<T: TrainScalar> {
    public let rows: Int
    /// (M, C) block input
    public let x: Tensor<T>
    /// (M) each
    public let rstd1: Tensor<T>, rstd2: Tensor<T>
    /// (M, H·D) post-RoPE queries; (M, Hkv·D) post-RoPE keys, values
    public let q: Tensor<T>, k: Tensor<T>, v: Tensor<T>
    /// (M, H·D) attention output before Wo; (M, H) row log-sum-exp
    public let attn: Tensor<T>, lse: Tensor<T>
    /// (M, C) residual after attention
    public let mid: Tensor<T>
    /// (M, F) each: gate and up pre-activations
    public let gate: Tensor<T>, up: Tensor<T>
    /// (M, R) per adapted projection
    public private(set) var u: [LoRATargets: Tensor<T>] = [:]

    public init(config c: LlamaBlockConfig, rows m: Int) {
        rows = m
        // LlamaBlock.forward overwrites every buffer but the attention output and lse in full
        // (projections write all M rows, padding included); those two stay zeroed because
        // attention leaves padding rows alone.
        x = Tensor(unfilled: m * c.dim); rstd1 = Tensor(unfilled: m); rstd2 = Tensor(unfilled: m)
        q = Tensor(unfilled: m * c.qDim); k = Tensor(unfilled: m * c.kvDim); v = Tensor(unfilled: m * c.kvDim)
        attn = Tensor(count: m * c.qDim); lse = Tensor(count: m * c.heads)
        mid = Tensor(unfilled: m * c.dim)
        gate = Tensor(unfilled: m * c.ffnDim); up = Tensor(unfilled: m * c.ffnDim)
        for t in LlamaBlock.order where c.targets.contains(t) { u[t] = Tensor(unfilled: m * c.loraRank) }
    }

    /// Bytes held for backward.
    public var byteCount: Int {
        [x, rstd1, rstd2, q, k, v, attn, lse, mid, gate, up].reduce(0) { $0 + $1.byteCount }
            + u.values.reduce(0) { $0 + $1.byteCount }
    }

    /// Bytes saved per token (row) for a config, without building the buffers.
    public static func bytesPerToken(_ c: LlamaBlockConfig) -> Int {
        let floats = 2 * c.dim + 2 * c.qDim + 2 * c.kvDim + c.heads + 2 + 2 * c.ffnDim
            + c.targets.rawValue.nonzeroBitCount * c.loraRank
        return floats * MemoryLayout<T>.stride
    }
}

/// Forward and backward of one Llama decoder layer with LoRA.
public enum LlamaBlock {
    public static let order: [LoRATargets] = [.q, .k, .v, .o, .gate, .up, .down]

    /// - Parameters:
    ///   - out: (M, C) block output, overwritten
    ///   - saved: activations for backward, filled
    ///   - input: (M, C)
    ///   - positions: (M) RoPE positions (SequenceBatch.positions())
    ///   - seed: dropout stream for this layer and step (reuse it in backward)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, saved s: LlamaBlockActivations<T>,
                                              input: UnsafePointer<T>, weights w: LlamaBlockWeights<T>,
                                              adapter: LlamaBlockAdapter<T>, batch: SequenceBatch,
                                              positions: UnsafePointer<Int32>, config c: LlamaBlockConfig,
                                              seed: UInt64) {
        let m = batch.tokenCount
        s.x.pointer.update(from: input, count: m * c.dim)
        let xn = Tensor<T>(unfilled: m * c.dim)
        RMSNorm.forward(out: xn.pointer, rstd: s.rstd1.pointer, input: input, weight: w.attnNorm,
                        m: m, c: c.dim, eps: c.rmsEps)
        projectShared([(.q, s.q.pointer), (.k, s.k.pointer), (.v, s.v.pointer)], input: xn.const, s, w, adapter, c, m, seed)
        let rope = c.rope
        RoPE.forward(out: s.q.pointer, input: s.q.const, positions: positions, m: m, heads: c.heads,
                     headDim: c.headDim, rope: rope)
        RoPE.forward(out: s.k.pointer, input: s.k.const, positions: positions, m: m, heads: c.kvHeads,
                     headDim: c.headDim, rope: rope)
        CausalAttention.forward(out: s.attn.pointer, lse: s.lse.pointer, q: s.q.const, k: s.k.const,
                                v: s.v.const, batch: batch, shape: c.attention)
        project(.o, out: s.mid.pointer, input: s.attn.const, s, w, adapter, c, m, seed)
        addInPlace(s.mid.pointer, input, rows: m, width: c.dim)

        RMSNorm.forward(out: xn.pointer, rstd: s.rstd2.pointer, input: s.mid.const, weight: w.ffnNorm,
                        m: m, c: c.dim, eps: c.rmsEps)
        projectShared([(.gate, s.gate.pointer), (.up, s.up.pointer)], input: xn.const, s, w, adapter, c, m, seed)
        let h = Tensor<T>(unfilled: m * c.ffnDim)
        SwiGLU.forward(out: h.pointer, gate: s.gate.const, up: s.up.const, count: m * c.ffnDim)
        project(.down, out: out, input: h.const, s, w, adapter, c, m, seed)
        addInPlace(out, s.mid.const, rows: m, width: c.dim)
    }

    /// Accumulates dInput (M, C), the adapters' dA/dB and (optionally) the norm gains' gradients
    /// from dOut (M, C). Arguments other than the gradients must be those given to forward.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>, gradients g: LlamaBlockGradients<T>,
                                               dOut: UnsafePointer<T>, saved s: LlamaBlockActivations<T>,
                                               weights w: LlamaBlockWeights<T>, adapter: LlamaBlockAdapter<T>,
                                               batch: SequenceBatch, positions: UnsafePointer<Int32>,
                                               config c: LlamaBlockConfig, seed: UInt64) {
        let m = batch.tokenCount, mc = m * c.dim, mf = m * c.ffnDim
        // FFN half. dMid starts as the residual path's dOut.
        let dMid = Tensor<T>(unfilled: mc)
        dMid.pointer.update(from: dOut, count: mc)
        let h = Tensor<T>(unfilled: mf)
        SwiGLU.forward(out: h.pointer, gate: s.gate.const, up: s.up.const, count: mf)
        let dH = Tensor<T>(count: mf)
        projectBackward(.down, dInput: dH.pointer, dOut: dOut, input: h.const, s, w, adapter, g, c, m, seed)
        let dGate = Tensor<T>(count: mf), dUp = h // h is no longer needed: reuse it for dUp
        dUp.zero()
        SwiGLU.backward(dGate: dGate.pointer, dUp: dUp.pointer, dOut: dH.const, gate: s.gate.const,
                        up: s.up.const, count: mf)
        let xn = Tensor<T>(unfilled: mc)
        normalize(out: xn.pointer, input: s.mid.const, weight: w.ffnNorm, rstd: s.rstd2.const, m: m, c: c.dim)
        let dXn = Tensor<T>(count: mc)
        projectBackward(.gate, dInput: dXn.pointer, dOut: dGate.const, input: xn.const, s, w, adapter, g, c, m, seed)
        projectBackward(.up, dInput: dXn.pointer, dOut: dUp.const, input: xn.const, s, w, adapter, g, c, m, seed)
        RMSNorm.backward(dInput: dMid.pointer, dWeight: g.ffnNorm, dOut: dXn.const, input: s.mid.const,
                         weight: w.ffnNorm, rstd: s.rstd2.const, m: m, c: c.dim)
        addInPlace(dInput, dMid.const, rows: m, width: c.dim)

        // Attention half.
        let dAttn = Tensor<T>(count: m * c.qDim)
        projectBackward(.o, dInput: dAttn.pointer, dOut: dMid.const, input: s.attn.const, s, w, adapter, g, c, m, seed)
        let dQ = Tensor<T>(count: m * c.qDim), dK = Tensor<T>(count: m * c.kvDim), dV = Tensor<T>(count: m * c.kvDim)
        CausalAttention.backward(dQ: dQ.pointer, dK: dK.pointer, dV: dV.pointer, dOut: dAttn.const,
                                 q: s.q.const, k: s.k.const, v: s.v.const, out: s.attn.const, lse: s.lse.const,
                                 batch: batch, shape: c.attention)
        let dQpre = dAttn // same size, no longer needed
        dQpre.zero()
        let rope = c.rope
        RoPE.backward(dInput: dQpre.pointer, dOut: dQ.const, positions: positions, m: m, heads: c.heads,
                      headDim: c.headDim, rope: rope)
        let dKpre = Tensor<T>(count: m * c.kvDim)
        RoPE.backward(dInput: dKpre.pointer, dOut: dK.const, positions: positions, m: m, heads: c.kvHeads,
                      headDim: c.headDim, rope: rope)
        normalize(out: xn.pointer, input: s.x.const, weight: w.attnNorm, rstd: s.rstd1.const, m: m, c: c.dim)
        dXn.zero()
        projectBackward(.q, dInput: dXn.pointer, dOut: dQpre.const, input: xn.const, s, w, adapter, g, c, m, seed)
        projectBackward(.k, dInput: dXn.pointer, dOut: dKpre.const, input: xn.const, s, w, adapter, g, c, m, seed)
        projectBackward(.v, dInput: dXn.pointer, dOut: dV.const, input: xn.const, s, w, adapter, g, c, m, seed)
        RMSNorm.backward(dInput: dInput, dWeight: g.attnNorm, dOut: dXn.const, input: s.x.const,
                         weight: w.attnNorm, rstd: s.rstd1.const, m: m, c: c.dim)
    }

    // MARK: - helpers

    /// y = x·rstd·w with a saved rstd (recomputes a norm's output in backward).
    static func normalize<T: TrainScalar>(out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                          weight: UnsafePointer<T>, rstd: UnsafePointer<T>, m: Int, c: Int) {
        parallelRows(m) { rows in
            for i in rows {
                let r = rstd[i]
                for j in 0..<c { out[i * c + j] = input[i * c + j] * r * weight[j] }
            }
        }
    }

    /// y[i] += x[i] over count elements, in row chunks on the pool (the residual adds: serial
    /// loops on the step thread otherwise).
    static func addInPlace<T: TrainScalar>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, rows: Int, width: Int) {
        parallelRows(rows) { r in
            for i in (r.lowerBound * width)..<(r.upperBound * width) { y[i] += x[i] }
        }
    }

    /// y[i, j] += b[j] for each of `rows` rows (a frozen bias after a shared product).
    static func addBias<T: TrainScalar>(_ y: UnsafeMutablePointer<T>, _ b: UnsafePointer<T>, rows: Int, width: Int) {
        parallelRows(rows) { r in
            for i in r { for j in 0..<width { y[i * width + j] += b[j] } }
        }
    }

    static func loraShape(_ t: LoRATargets, _ c: LlamaBlockConfig, _ m: Int) -> LoRAShape {
        let p = c.projection(t)
        return LoRAShape(m: m, n: p.out, k: p.in, rank: c.loraRank, scale: c.loraScale, dropout: c.loraDropout,
                         rowKeys: c.dropoutRowKeys)
    }

    static func siteSeed(_ seed: UInt64, _ t: LoRATargets) -> UInt64 {
        TrainingRNG.derive(seed, UInt64(t.rawValue))
    }

    static func project<T: TrainScalar>(_ t: LoRATargets, out: UnsafeMutablePointer<T>, input: UnsafePointer<T>,
                                        _ s: LlamaBlockActivations<T>, _ w: LlamaBlockWeights<T>,
                                        _ adapter: LlamaBlockAdapter<T>, _ c: LlamaBlockConfig, _ m: Int,
                                        _ seed: UInt64) {
        let p = c.projection(t)
        if c.targets.contains(t), let lora = adapter.byTarget[t], let u = s.u[t] {
            LoRALinear.forward(out: out, saved: u.pointer, input: input, weight: w.weight(t), bias: w.biases[t],
                               a: lora.a, b: lora.b, shape: loraShape(t, c, m), seed: siteSeed(seed, t))
        } else {
            Linear.forward(out: out, input: input, weight: w.weight(t), bias: w.biases[t], m: m, n: p.out, k: p.in)
        }
    }

    /// Projections that share their input (q, k, v; gate, up): the frozen products run as one job
    /// over one packing of the input (TrainScalar.gemmLinearShared), then each adapter adds its
    /// part. Each output gets exactly the operations `project` would give it.
    static func projectShared<T: TrainScalar>(_ targets: [(LoRATargets, UnsafeMutablePointer<T>)], input: UnsafePointer<T>,
                                              _ s: LlamaBlockActivations<T>, _ w: LlamaBlockWeights<T>,
                                              _ adapter: LlamaBlockAdapter<T>, _ c: LlamaBlockConfig, _ m: Int,
                                              _ seed: UInt64) {
        T.gemmLinearShared(targets.map { (y: $0.1, w: w.weight($0.0), n: c.projection($0.0).out) }, input,
                           m: m, k: c.dim)
        for (t, out) in targets {
            if let bias = w.biases[t] { addBias(out, bias, rows: m, width: c.projection(t).out) }
            guard c.targets.contains(t), let lora = adapter.byTarget[t], let u = s.u[t] else { continue }
            LoRALinear.forwardAdapter(out: out, saved: u.pointer, input: input, a: lora.a, b: lora.b,
                                      shape: loraShape(t, c, m), seed: siteSeed(seed, t))
        }
    }

    static func projectBackward<T: TrainScalar>(_ t: LoRATargets, dInput: UnsafeMutablePointer<T>,
                                                dOut: UnsafePointer<T>, input: UnsafePointer<T>,
                                                _ s: LlamaBlockActivations<T>, _ w: LlamaBlockWeights<T>,
                                                _ adapter: LlamaBlockAdapter<T>, _ g: LlamaBlockGradients<T>,
                                                _ c: LlamaBlockConfig, _ m: Int, _ seed: UInt64) {
        let p = c.projection(t)
        if c.targets.contains(t), let lora = adapter.byTarget[t], let u = s.u[t] {
            let grads = g.byTarget[t]
            LoRALinear.backward(dInput: dInput, dA: grads?.a, dB: grads?.b, dOut: dOut, input: input,
                                saved: u.const, weight: w.weight(t), a: lora.a, b: lora.b,
                                shape: loraShape(t, c, m), seed: siteSeed(seed, t))
        } else {
            Linear.backwardInput(dInput: dInput, dOut: dOut, weight: w.weight(t), m: m, n: p.out, k: p.in)
        }
    }
}
