// Float matrix products for SASRec with 8-wide SIMD (AVX2 + FMA on the project's
// target) and row-parallel splitting across cores. Shapes are given at each
// entry point; all matrices are row-major and contiguous.

enum FloatGemm {
    typealias V = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// y[m,n] (+)= x[m,k] · w[n,k]ᵀ: dot products along k, 2 rows of x by 2 rows of w at a time.
    static func nt(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        let (ys, xs, ws) = (SharedPointer(y), SharedPointer(x), SharedPointer(w))
        // Split the larger of m and n across workers.
        let splitRows = m >= n
        let units = splitRows ? m : n
        let chunks = workerChunks(units * k * (splitRows ? n : m) > 1 << 16 ? units : 1)
        parallelFor(chunks) { c in
            let lo = units * c / chunks, hi = units * (c + 1) / chunks
            if splitRows {
                ntBlock(ys.p, xs.p, ws.p, rows: lo..<hi, cols: 0..<n, n: n, k: k, accumulate: accumulate)
            } else {
                ntBlock(ys.p, xs.p, ws.p, rows: 0..<m, cols: lo..<hi, n: n, k: k, accumulate: accumulate)
            }
        }
    }

    static func ntBlock(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                        rows: Range<Int>, cols: Range<Int>, n: Int, k: Int, accumulate: Bool) {
        let k8 = k & ~7
        @inline(__always) func tail(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
            var s: Float = 0
            var p = k8
            while p < k { s += a[p] * b[p]; p += 1 }
            return s
        }
        var i = rows.lowerBound
        while i < rows.upperBound {
            let two = i + 1 < rows.upperBound
            let x0 = x + i * k, x1 = two ? x + (i + 1) * k : x0
            var j = cols.lowerBound
            while j < cols.upperBound {
                let pair = j + 1 < cols.upperBound
                let w0 = w + j * k, w1 = pair ? w + (j + 1) * k : w0
                var a00 = V(), a01 = V(), a10 = V(), a11 = V()
                var p = 0
                while p < k8 {
                    let xa = load(x0 + p), xb = load(x1 + p), wa = load(w0 + p), wb = load(w1 + p)
                    a00.addProduct(xa, wa); a01.addProduct(xa, wb)
                    a10.addProduct(xb, wa); a11.addProduct(xb, wb)
                    p += 8
                }
                let s00 = a00.sum() + tail(x0, w0), s01 = a01.sum() + tail(x0, w1)
                let s10 = a10.sum() + tail(x1, w0), s11 = a11.sum() + tail(x1, w1)
                if accumulate { y[i * n + j] += s00 } else { y[i * n + j] = s00 }
                if pair { if accumulate { y[i * n + j + 1] += s01 } else { y[i * n + j + 1] = s01 } }
                if two {
                    if accumulate { y[(i + 1) * n + j] += s10 } else { y[(i + 1) * n + j] = s10 }
                    if pair { if accumulate { y[(i + 1) * n + j + 1] += s11 } else { y[(i + 1) * n + j + 1] = s11 } }
                }
                j += 2
            }
            i += 2
        }
    }

    /// c[m,n] (+)= a[m,k] · b[k,n]: rows of c accumulate scaled rows of b.
    static func nn(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        let (cs, as_, bs) = (SharedPointer(c), SharedPointer(a), SharedPointer(b))
        let chunks = workerChunks(m * n * k > 1 << 16 ? m : 1)
        parallelFor(chunks) { ch in
            let lo = m * ch / chunks, hi = m * (ch + 1) / chunks
            for i in lo..<hi {
                axpyRows(cs.p + i * n, coefficient: { p in as_.p[i * k + p] }, b: bs.p, n: n, k: k, accumulate: accumulate)
            }
        }
    }

    /// c[m,n] (+)= a[k,m]ᵀ · b[k,n]: like `nn`, reading a's columns.
    static func tn(_ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool) {
        let (cs, as_, bs) = (SharedPointer(c), SharedPointer(a), SharedPointer(b))
        let chunks = workerChunks(m * n * k > 1 << 16 ? m : 1)
        parallelFor(chunks) { ch in
            let lo = m * ch / chunks, hi = m * (ch + 1) / chunks
            for i in lo..<hi {
                axpyRows(cs.p + i * n, coefficient: { p in as_.p[p * m + i] }, b: bs.p, n: n, k: k, accumulate: accumulate)
            }
        }
    }

    /// row[0..<n] (+)= Σ_p coefficient(p) · b[p, 0..<n], in column blocks of 32 held in registers.
    @inline(__always)
    static func axpyRows(_ row: UnsafeMutablePointer<Float>, coefficient: (Int) -> Float, b: UnsafePointer<Float>, n: Int, k: Int, accumulate: Bool) {
        var j = 0
        while j + 32 <= n {
            var r0 = accumulate ? load(row + j) : V(), r1 = accumulate ? load(row + j + 8) : V()
            var r2 = accumulate ? load(row + j + 16) : V(), r3 = accumulate ? load(row + j + 24) : V()
            for p in 0..<k {
                let s = coefficient(p)
                if s == 0 { continue }
                let sv = V(repeating: s)
                let bp = b + p * n + j
                r0.addProduct(sv, load(bp)); r1.addProduct(sv, load(bp + 8))
                r2.addProduct(sv, load(bp + 16)); r3.addProduct(sv, load(bp + 24))
            }
            store(r0, row + j); store(r1, row + j + 8); store(r2, row + j + 16); store(r3, row + j + 24)
            j += 32
        }
        while j < n {
            var s: Float = accumulate ? row[j] : 0
            for p in 0..<k { s += coefficient(p) * b[p * n + j] }
            row[j] = s
            j += 1
        }
    }
}
