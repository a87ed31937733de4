// LoRAKernels: the rank-R side products of a LoRA adapter on Float, with the dropout mask
// applied on the fly.
//
// The adapter's products have one side of size R (HDRec: 8). Through the general GEMM they ran
// badly: the 6×16 micro-kernel's tile is half empty at n = 8 or only 8 deep at k = 8, every call
// re-packed an operand as large as the work, the output went through a spill-and-scatter store,
// and the dropout mask was first multiplied into a separate buffer (docs/training.md §Speed).
// Here each product is one pass over its large operand with eight-lane FMAs and the R-sized
// operand kept in L1:
//   maskedProject  u[r, j]  = Σ_p x[r, p]·f[r, p]·A[j, p]          forward u = drop(x)·Aᵀ
//   maskedExpand   dx[r, p] += f[r, p]·Σ_j dU[r, j]·A[j, p]        backward dX through the mask
//   maskedOuter    dA[j, p] += Σ_r dU[r, j]·x[r, p]·f[r, p]        backward dA
//   expand         y[r, n]  += Σ_j su[r, j]·Bᵀ[j, n]               forward y += (s·u)·Bᵀ
// Results equal the GEMM path up to float summation order (FastPathTests checks them against a
// Double reference); each output depends only on its own row or column, so they do not depend
// on the thread count either.

private extension UnsafePointer where Pointee == Float {
    @inline(__always) func v8(_ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }
}

private extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) func v8(_ offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func put8(_ value: SIMD8<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

enum LoRAKernels {
    /// u[r, j] = Σ_p x[r, p]·f[r, p]·a[j, p] for r < rows, j < rank.
    /// x, f: (rows, k); a: (rank, k); u: (rows, rank), overwritten.
    static func maskedProject(_ u: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, f: UnsafePointer<Float>,
                              a: UnsafePointer<Float>, rows: Int, k: Int, rank: Int) {
        let k8 = k & ~7
        for r in 0..<rows {
            let xr = x + r * k, fr = f + r * k, ur = u + r * rank
            var j = 0
            // Four adapter rows at a time: x⊙f is formed once per eight lanes for all four.
            while j + 4 <= rank {
                let a0 = a + j * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                var p = 0
                while p < k8 {
                    let v = xr.v8(p) * fr.v8(p)
                    s0 = s0.addingProduct(v, a0.v8(p)); s1 = s1.addingProduct(v, a1.v8(p))
                    s2 = s2.addingProduct(v, a2.v8(p)); s3 = s3.addingProduct(v, a3.v8(p))
                    p += 8
                }
                var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
                while p < k {
                    let v = xr[p] * fr[p]
                    t0 += v * a0[p]; t1 += v * a1[p]; t2 += v * a2[p]; t3 += v * a3[p]
                    p += 1
                }
                ur[j] = t0; ur[j + 1] = t1; ur[j + 2] = t2; ur[j + 3] = t3
                j += 4
            }
            while j < rank {
                let aj = a + j * k
                var s = SIMD8<Float>()
                var p = 0
                while p < k8 { s = s.addingProduct(xr.v8(p) * fr.v8(p), aj.v8(p)); p += 8 }
                var t = s.sum()
                while p < k { t += xr[p] * fr[p] * aj[p]; p += 1 }
                ur[j] = t
                j += 1
            }
        }
    }

    /// dx[r, p] += f[r, p]·Σ_j du[r, j]·a[j, p] for r < rows, p < k.
    /// dx, f: (rows, k); du: (rows, rank); a: (rank, k).
    static func maskedExpand(_ dx: UnsafeMutablePointer<Float>, du: UnsafePointer<Float>, a: UnsafePointer<Float>,
                             f: UnsafePointer<Float>, rows: Int, k: Int, rank: Int) {
        let k8 = k & ~7
        for r in 0..<rows {
            let dxr = dx + r * k, fr = f + r * k, dur = du + r * rank
            var p = 0
            while p < k8 {
                var t = SIMD8<Float>()
                for j in 0..<rank { t = t.addingProduct(SIMD8<Float>(repeating: dur[j]), a.v8(j * k + p)) }
                dxr.put8(dxr.v8(p).addingProduct(t, fr.v8(p)), p)
                p += 8
            }
            while p < k {
                var t: Float = 0
                for j in 0..<rank { t += dur[j] * a[j * k + p] }
                dxr[p] += t * fr[p]
                p += 1
            }
        }
    }

    /// da[j, p] += Σ_r du[r, j]·x[r, p]·f[r, p] for j < rank, p < k (rows summed in order).
    /// da: (rank, k); du: (rows, rank); x, f: (rows, k).
    static func maskedOuter(_ da: UnsafeMutablePointer<Float>, du: UnsafePointer<Float>, x: UnsafePointer<Float>,
                            f: UnsafePointer<Float>, rows: Int, k: Int, rank: Int) {
        let k8 = k & ~7
        var j = 0
        while j + 4 <= rank {
            let d0 = da + j * k, d1 = d0 + k, d2 = d1 + k, d3 = d2 + k
            var p = 0
            while p < k8 {
                var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
                for r in 0..<rows {
                    let v = x.v8(r * k + p) * f.v8(r * k + p), dur = du + r * rank + j
                    s0 = s0.addingProduct(SIMD8<Float>(repeating: dur[0]), v)
                    s1 = s1.addingProduct(SIMD8<Float>(repeating: dur[1]), v)
                    s2 = s2.addingProduct(SIMD8<Float>(repeating: dur[2]), v)
                    s3 = s3.addingProduct(SIMD8<Float>(repeating: dur[3]), v)
                }
                d0.put8(d0.v8(p) + s0, p); d1.put8(d1.v8(p) + s1, p)
                d2.put8(d2.v8(p) + s2, p); d3.put8(d3.v8(p) + s3, p)
                p += 8
            }
            while p < k {
                var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
                for r in 0..<rows {
                    let v = x[r * k + p] * f[r * k + p], dur = du + r * rank + j
                    t0 += dur[0] * v; t1 += dur[1] * v; t2 += dur[2] * v; t3 += dur[3] * v
                }
                d0[p] += t0; d1[p] += t1; d2[p] += t2; d3[p] += t3
                p += 1
            }
            j += 4
        }
        while j < rank {
            let dj = da + j * k
            var p = 0
            while p < k8 {
                var s = SIMD8<Float>()
                for r in 0..<rows {
                    s = s.addingProduct(SIMD8<Float>(repeating: du[r * rank + j]), x.v8(r * k + p) * f.v8(r * k + p))
                }
                dj.put8(dj.v8(p) + s, p)
                p += 8
            }
            while p < k {
                var t: Float = 0
                for r in 0..<rows { t += du[r * rank + j] * x[r * k + p] * f[r * k + p] }
                dj[p] += t
                p += 1
            }
            j += 1
        }
    }

    /// y[r, c] += Σ_j su[r, j]·bt[j, c] for r < rows, c < n.
    /// y: (rows, n); su: (rows, rank); bt: Bᵀ, (rank, n).
    static func expand(_ y: UnsafeMutablePointer<Float>, su: UnsafePointer<Float>, bt: UnsafePointer<Float>,
                       rows: Int, n: Int, rank: Int) {
        let n8 = n & ~7
        for r in 0..<rows {
            let yr = y + r * n, sr = su + r * rank
            var c = 0
            while c < n8 {
                var t = yr.v8(c)
                for j in 0..<rank { t = t.addingProduct(SIMD8<Float>(repeating: sr[j]), bt.v8(j * n + c)) }
                yr.put8(t, c)
                c += 8
            }
            while c < n {
                var t = yr[c]
                for j in 0..<rank { t += sr[j] * bt[j * n + c] }
                yr[c] = t
                c += 1
            }
        }
    }
}
