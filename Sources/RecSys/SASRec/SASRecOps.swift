// The layers of SASRec with hand-written backward passes, generic over the
// scalar so each is gradient-checked in Double (Tests/RecSysTests/GradientCheckTests).
// Shapes: P = packed positions of a batch (all sequences laid end to end),
// d = hidden size, F = feed-forward size, N = number of items.

enum SASRecOps {
    // MARK: Linear: y[P,n] = x[P,k] · w[n,k]ᵀ + b[n]

    static func linear<T: SASRecScalar>(_ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ w: UnsafePointer<T>, _ b: UnsafePointer<T>,
                                        rows: Int, n: Int, k: Int) {
        T.gemmNT(y, x, w, m: rows, n: n, k: k, accumulate: false)
        for r in 0..<rows { for j in 0..<n { y[r * n + j] += b[j] } }
    }

    /// dx[P,k] (+)= dy · w; dw[n,k] += dyᵀ · x; db[n] += Σ_rows dy.
    static func linearBackward<T: SASRecScalar>(dy: UnsafePointer<T>, x: UnsafePointer<T>, w: UnsafePointer<T>,
                                                dx: UnsafeMutablePointer<T>?, dw: UnsafeMutablePointer<T>, db: UnsafeMutablePointer<T>,
                                                rows: Int, n: Int, k: Int, accumulateDx: Bool) {
        if let dx { T.gemmNN(dx, dy, w, m: rows, n: k, k: n, accumulate: accumulateDx) }
        T.gemmTN(dw, dy, x, m: n, n: k, k: rows, accumulate: true)
        for r in 0..<rows { for j in 0..<n { db[j] += dy[r * n + j] } }
    }

    // MARK: LayerNorm over the last axis (d), with saved x̂ and 1/σ for backward

    static func layerNorm<T: SASRecScalar>(_ x: UnsafePointer<T>, gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
                                           y: UnsafeMutablePointer<T>, xhat: UnsafeMutablePointer<T>, rstd: UnsafeMutablePointer<T>,
                                           rows: Int, d: Int, eps: T) {
        for r in 0..<rows {
            let xr = x + r * d
            var mean: T = 0
            for j in 0..<d { mean += xr[j] }
            mean /= T(d)
            var variance: T = 0
            for j in 0..<d { let c = xr[j] - mean; variance += c * c }
            variance /= T(d)
            let s = 1 / (variance + eps).squareRoot()
            rstd[r] = s
            for j in 0..<d {
                let h = (xr[j] - mean) * s
                xhat[r * d + j] = h
                y[r * d + j] = h * gamma[j] + beta[j]
            }
        }
    }

    /// dx = (1/σ)(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂)) with ĝ = dy·γ; dγ += Σ dy·x̂; dβ += Σ dy. dx is overwritten.
    static func layerNormBackward<T: SASRecScalar>(dy: UnsafePointer<T>, xhat: UnsafePointer<T>, rstd: UnsafePointer<T>, gamma: UnsafePointer<T>,
                                                   dx: UnsafeMutablePointer<T>, dgamma: UnsafeMutablePointer<T>, dbeta: UnsafeMutablePointer<T>,
                                                   rows: Int, d: Int) {
        for r in 0..<rows {
            var sumG: T = 0, sumGX: T = 0
            for j in 0..<d {
                let g = dy[r * d + j] * gamma[j]
                sumG += g
                sumGX += g * xhat[r * d + j]
                dgamma[j] += dy[r * d + j] * xhat[r * d + j]
                dbeta[j] += dy[r * d + j]
            }
            let meanG = sumG / T(d), meanGX = sumGX / T(d)
            for j in 0..<d {
                let g = dy[r * d + j] * gamma[j]
                dx[r * d + j] = rstd[r] * (g - meanG - xhat[r * d + j] * meanGX)
            }
        }
    }

    // MARK: GELU (erf form, as RecBole's "gelu")

    static func gelu<T: SASRecScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int) {
        let invSqrt2 = 1 / T(2).squareRoot()
        for i in 0..<count { y[i] = x[i] * (1 + T.erfunc(x[i] * invSqrt2)) / 2 }
    }

    /// dx = dy · (Φ(x) + x·φ(x)); dx is overwritten.
    static func geluBackward<T: SASRecScalar>(x: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>, count: Int) {
        let invSqrt2 = 1 / T(2).squareRoot()
        let invSqrt2Pi = 1 / (2 * T.pi).squareRoot()
        for i in 0..<count {
            let v = x[i]
            let cdf = (1 + T.erfunc(v * invSqrt2)) / 2
            let pdf = T.expo(-v * v / 2) * invSqrt2Pi
            dx[i] = dy[i] * (cdf + v * pdf)
        }
    }

    // MARK: Causal multi-head self-attention over packed sequences

    /// Layout of the per-(sequence, head) probability matrices: sequence b's block starts at `offsets[b]`,
    /// then head h, row t, column j at `offsets[b] + (h * T + t) * T + j` (zero above the diagonal).
    static func attentionOffsets(starts: [Int], heads: Int) -> [Int] {
        var offsets = [0]
        for b in 0..<(starts.count - 1) {
            let t = starts[b + 1] - starts[b]
            offsets.append(offsets[b] + heads * t * t)
        }
        return offsets
    }

    /// ctx[P,d] = softmax(q kᵀ/√dh + causal) (∘ dropout mask) · v, per sequence and head.
    /// `probs` receives the softmax before dropout; `mask` (same layout, values 0 or 1/(1-p)) is optional.
    static func attention<T: SASRecScalar>(q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>, ctx: UnsafeMutablePointer<T>,
                                           probs: UnsafeMutablePointer<T>, mask: UnsafePointer<T>?,
                                           starts: [Int], offsets: [Int], heads: Int, d: Int) {
        let (qs, ks, vs, cs, ps) = (SharedPointer(q), SharedPointer(k), SharedPointer(v), SharedPointer(ctx), SharedPointer(probs))
        let ms = mask.map { SharedPointer($0) }
        let batch = starts.count - 1
        let chunks = workerChunks(batch)
        parallelFor(chunks) { c in
            for b in (batch * c / chunks)..<(batch * (c + 1) / chunks) {
                attentionOne(qs.p, ks.p, vs.p, cs.p, ps.p, ms?.p, start: starts[b], length: starts[b + 1] - starts[b],
                             offset: offsets[b], heads: heads, d: d)
            }
        }
    }

    static func attentionOne<T: SASRecScalar>(_ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ v: UnsafePointer<T>, _ ctx: UnsafeMutablePointer<T>,
                                              _ probs: UnsafeMutablePointer<T>, _ mask: UnsafePointer<T>?,
                                              start s: Int, length n: Int, offset: Int, heads: Int, d: Int) {
        let dh = d / heads
        let scale = 1 / T(dh).squareRoot()
        for h in 0..<heads {
            let c0 = h * dh
            for t in 0..<n {
                let row = probs + offset + (h * n + t) * n
                var maxScore = -T.infinity
                for j in 0...t {
                    var sc: T = 0
                    for c in 0..<dh { sc += q[(s + t) * d + c0 + c] * k[(s + j) * d + c0 + c] }
                    sc *= scale
                    row[j] = sc
                    if sc > maxScore { maxScore = sc }
                }
                var total: T = 0
                for j in 0...t { row[j] = T.expo(row[j] - maxScore); total += row[j] }
                for j in 0...t { row[j] /= total }
                for j in (t + 1)..<max(n, t + 1) { row[j] = 0 }
                let out = ctx + (s + t) * d + c0
                for c in 0..<dh { out[c] = 0 }
                for j in 0...t {
                    let a = mask.map { row[j] * $0[offset + (h * n + t) * n + j] } ?? row[j]
                    if a == 0 { continue }
                    for c in 0..<dh { out[c] += a * v[(s + j) * d + c0 + c] }
                }
            }
        }
    }

    /// Backward of `attention`: dq, dk, dv [P,d] are overwritten.
    static func attentionBackward<T: SASRecScalar>(q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>, probs: UnsafePointer<T>,
                                                   mask: UnsafePointer<T>?, dctx: UnsafePointer<T>,
                                                   dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                                   starts: [Int], offsets: [Int], heads: Int, d: Int) {
        let (qs, ks, vs, ps, gs) = (SharedPointer(q), SharedPointer(k), SharedPointer(v), SharedPointer(probs), SharedPointer(dctx))
        let (dqs, dks, dvs) = (SharedPointer(dq), SharedPointer(dk), SharedPointer(dv))
        let ms = mask.map { SharedPointer($0) }
        let batch = starts.count - 1
        let chunks = workerChunks(batch)
        parallelFor(chunks) { c in
            for b in (batch * c / chunks)..<(batch * (c + 1) / chunks) {
                attentionBackwardOne(qs.p, ks.p, vs.p, ps.p, ms?.p, gs.p, dqs.p, dks.p, dvs.p,
                                     start: starts[b], length: starts[b + 1] - starts[b], offset: offsets[b], heads: heads, d: d)
            }
        }
    }

    static func attentionBackwardOne<T: SASRecScalar>(_ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ v: UnsafePointer<T>, _ probs: UnsafePointer<T>,
                                                      _ mask: UnsafePointer<T>?, _ dctx: UnsafePointer<T>,
                                                      _ dq: UnsafeMutablePointer<T>, _ dk: UnsafeMutablePointer<T>, _ dv: UnsafeMutablePointer<T>,
                                                      start s: Int, length n: Int, offset: Int, heads: Int, d: Int) {
        let dh = d / heads
        let scale = 1 / T(dh).squareRoot()
        for i in (s * d)..<((s + n) * d) { dq[i] = 0; dk[i] = 0; dv[i] = 0 }
        var dA = [T](repeating: 0, count: n)
        for h in 0..<heads {
            let c0 = h * dh
            for t in 0..<n {
                let row = probs + offset + (h * n + t) * n
                let g = dctx + (s + t) * d + c0
                // dA'[j] = g · v_j ; dv_j += A'[j] g ; dA = dA' ∘ mask
                var dot: T = 0
                for j in 0...t {
                    let m = mask.map { $0[offset + (h * n + t) * n + j] } ?? 1
                    let a = row[j] * m
                    var s2: T = 0
                    for c in 0..<dh {
                        s2 += g[c] * v[(s + j) * d + c0 + c]
                        dv[(s + j) * d + c0 + c] += a * g[c]
                    }
                    dA[j] = s2 * m
                    dot += dA[j] * row[j]
                }
                // dS = A ∘ (dA - Σ A dA), then through the scaled dot products.
                for j in 0...t {
                    let dS = row[j] * (dA[j] - dot) * scale
                    if dS == 0 { continue }
                    for c in 0..<dh {
                        dq[(s + t) * d + c0 + c] += dS * k[(s + j) * d + c0 + c]
                        dk[(s + j) * d + c0 + c] += dS * q[(s + t) * d + c0 + c]
                    }
                }
            }
        }
    }

    // MARK: Losses over item logits

    /// Full-softmax cross-entropy. Returns the summed loss; replaces `logits` [rows, n] by
    /// d(sum loss)/d logits · `gradScale` (softmax - one-hot, scaled).
    static func softmaxCrossEntropy<T: SASRecScalar>(logits: UnsafeMutablePointer<T>, targets: [Int], n: Int, gradScale: T) -> Double {
        let rows = targets.count
        let ls = SharedPointer(logits)
        let chunks = workerChunks(rows)
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { pb in
            let out = SharedPointer(pb.baseAddress!)
            parallelFor(chunks) { c in
                var sum = 0.0
                for r in (rows * c / chunks)..<(rows * (c + 1) / chunks) {
                    let row = ls.p + r * n
                    var mx = -T.infinity
                    for j in 0..<n where row[j] > mx { mx = row[j] }
                    let target = targets[r]
                    let shiftedTarget = row[target] - mx
                    var total: T = 0
                    for j in 0..<n { let e = T.expo(row[j] - mx); row[j] = e; total += e }
                    sum += Double(T.logarithm(total) - shiftedTarget)
                    let inv = gradScale / total
                    for j in 0..<n { row[j] *= inv }
                    row[target] -= gradScale
                }
                out.p[c] = sum
            }
        }
        return partial.reduce(0, +)
    }
}
