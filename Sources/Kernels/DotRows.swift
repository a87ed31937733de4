// Dot-product path for products with very few activation rows (decoding one token):
//     y[i, j] (+)= x[i, :] · w[j, :]
// Four W rows are streamed together against one x row; with m this small the product
// is bound by reading W, and the tiled kernel's packing would cost more than it saves.

@inline(__always)
func dot4(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, ldw: Int, k: Int)
    -> (Float, Float, Float, Float) {
    let w0 = w, w1 = w + ldw, w2 = w + 2 * ldw, w3 = w + 3 * ldw
    var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
    var p = 0
    while p + 8 <= k {
        let xv = x.load8(p)
        a0 = a0.addingProduct(xv, w0.load8(p))
        a1 = a1.addingProduct(xv, w1.load8(p))
        a2 = a2.addingProduct(xv, w2.load8(p))
        a3 = a3.addingProduct(xv, w3.load8(p))
        p += 8
    }
    var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
    while p < k {
        let xv = x[p]
        s0 += xv * w0[p]; s1 += xv * w1[p]; s2 += xv * w2[p]; s3 += xv * w3[p]
        p += 1
    }
    return (s0, s1, s2, s3)
}

@inline(__always)
func dot1(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, k: Int) -> Float {
    var a0 = SIMD8<Float>()
    var p = 0
    while p + 8 <= k { a0 = a0.addingProduct(x.load8(p), w.load8(p)); p += 8 }
    var s = a0.sum()
    while p < k { s += x[p] * w[p]; p += 1 }
    return s
}

/// y[i, j] (+)= x[i, :] · w[j, :] for i in 0..<m, j in `rows`.
func dotRows(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
             m: Int, n: Int, k: Int, rows: Range<Int>, accumulate: Bool) {
    for i in 0..<m {
        let xi = x + i * k
        let yi = y + i * n
        var j = rows.lowerBound
        while j + 4 <= rows.upperBound {
            let (s0, s1, s2, s3) = dot4(xi, w + j * k, ldw: k, k: k)
            if accumulate { yi[j] += s0; yi[j + 1] += s1; yi[j + 2] += s2; yi[j + 3] += s3 }
            else { yi[j] = s0; yi[j + 1] = s1; yi[j + 2] = s2; yi[j + 3] = s3 }
            j += 4
        }
        while j < rows.upperBound {
            let s = dot1(xi, w + j * k, k: k)
            if accumulate { yi[j] += s } else { yi[j] = s }
            j += 1
        }
    }
}
