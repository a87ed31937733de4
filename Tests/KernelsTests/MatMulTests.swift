// MatMul against the naive Double reference: odd sizes around every tile edge
// (6-row and 16-column tiles, 8-wide SIMD, 4-row dot groups), the decoder's shapes
// at small row counts, the accumulate flag, and bitwise equality across thread counts.
import Testing
@testable import Kernels

enum Op: CaseIterable { case linear, matmul, transA }

/// Runs `op` on random inputs and checks it against the oracle.
/// Returns the output so that callers can compare runs.
@discardableResult
func checkProduct(_ op: Op, m: Int, n: Int, k: Int, accumulate: Bool = false, pool: ThreadPool?,
                  seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) -> [Float] {
    let aCount = m * k
    let bCount = n * k
    let a = randomFloats(aCount, seed: seed)
    let b = randomFloats(bCount, seed: seed &+ 7)
    let base = accumulate ? randomFloats(m * n, seed: seed &+ 13) : [Float](repeating: .nan, count: m * n)
    var y = base
    let ref: (value: [Double], magnitude: [Double])
    switch op {
    case .linear:   // y = a[m,k] · b[n,k]ᵀ
        MatMul.linear(&y, a, b, m: m, n: n, k: k, accumulate: accumulate, pool: pool)
        ref = naiveProduct(m: m, n: n, k: k, a: { a[$0 * k + $1] }, b: { b[$1 * k + $0] })
    case .matmul:   // y = a[m,k] · b[k,n]
        MatMul.matmul(&y, a, b, m: m, n: n, k: k, accumulate: accumulate, pool: pool)
        ref = naiveProduct(m: m, n: n, k: k, a: { a[$0 * k + $1] }, b: { b[$0 * n + $1] })
    case .transA:   // y = a[k,m]ᵀ · b[k,n]
        MatMul.matmulTransA(&y, a, b, m: m, n: n, k: k, accumulate: accumulate, pool: pool)
        ref = naiveProduct(m: m, n: n, k: k, a: { a[$1 * m + $0] }, b: { b[$0 * n + $1] })
    }
    let bad = firstMismatch(y, ref.value, magnitude: ref.magnitude, base: accumulate ? base : nil)
    #expect(bad == nil, "\(op) m=\(m) n=\(n) k=\(k) acc=\(accumulate): element \(bad ?? -1) = \(bad.map { y[$0] } ?? 0), want \(bad.map { ref.value[$0] + Double(accumulate ? base[$0] : 0) } ?? 0)",
            sourceLocation: sourceLocation)
    return y
}

@Suite("MatMul")
struct MatMulTests {
    let pool = ThreadPool(threadCount: 2)

    @Test("every operation matches the naive product for m = 1...67 (n, k odd)", arguments: Op.allCases)
    func sweepRows(op: Op) {
        for m in 1...67 { checkProduct(op, m: m, n: 37, k: 29, pool: pool, seed: UInt64(m)) }
    }

    @Test("every operation matches the naive product for n = 1...67", arguments: Op.allCases)
    func sweepColumns(op: Op) {
        for n in 1...67 {
            checkProduct(op, m: 3, n: n, k: 19, pool: pool, seed: UInt64(n))
            checkProduct(op, m: 23, n: n, k: 19, pool: pool, seed: UInt64(n) + 100)
        }
    }

    @Test("every operation matches the naive product for k = 1...67", arguments: Op.allCases)
    func sweepDepth(op: Op) {
        for k in 1...67 {
            checkProduct(op, m: 2, n: 21, k: k, pool: pool, seed: UInt64(k))
            checkProduct(op, m: 17, n: 21, k: k, pool: pool, seed: UInt64(k) + 100)
        }
    }

    @Test("linear matches at the decoder's shapes with small row counts",
          arguments: [(576, 576), (576, 192), (576, 1536), (1536, 576)])
    func decoderShapes(shape: (k: Int, n: Int)) {
        for m in [1, 2, 5, 16, 19] {
            checkProduct(.linear, m: m, n: shape.n, k: shape.k, pool: pool, seed: UInt64(m))
        }
    }

    @Test("accumulate adds to the existing output instead of overwriting it", arguments: Op.allCases)
    func accumulate(op: Op) {
        for (m, n, k) in [(1, 9, 33), (3, 40, 8), (7, 17, 65), (31, 33, 47)] {
            checkProduct(op, m: m, n: n, k: k, accumulate: true, pool: pool)
        }
    }

    @Test("k = 0 yields zeros, or leaves the output alone when accumulating", arguments: Op.allCases)
    func emptyDepth(op: Op) {
        var y: [Float] = [1, 2, 3, 4, 5, 6]
        let empty: [Float] = [0]
        switch op {
        case .linear: MatMul.linear(&y, empty, empty, m: 2, n: 3, k: 0, accumulate: true, pool: pool)
        case .matmul: MatMul.matmul(&y, empty, empty, m: 2, n: 3, k: 0, accumulate: true, pool: pool)
        case .transA: MatMul.matmulTransA(&y, empty, empty, m: 2, n: 3, k: 0, accumulate: true, pool: pool)
        }
        #expect(y == [1, 2, 3, 4, 5, 6])
        switch op {
        case .linear: MatMul.linear(&y, empty, empty, m: 2, n: 3, k: 0, pool: pool)
        case .matmul: MatMul.matmul(&y, empty, empty, m: 2, n: 3, k: 0, pool: pool)
        case .transA: MatMul.matmulTransA(&y, empty, empty, m: 2, n: 3, k: 0, pool: pool)
        }
        #expect(y == [0, 0, 0, 0, 0, 0])
    }

    @Test("results are bitwise identical with 1, 2 and 3 threads and without a pool", arguments: Op.allCases)
    func threadCountsAgree(op: Op) {
        let pools: [ThreadPool?] = [nil, ThreadPool(threadCount: 1), pool, ThreadPool(threadCount: 3)]
        for (m, n, k) in [(1, 100, 96), (3, 61, 70), (20, 200, 64), (130, 50, 33), (64, 576, 192)] {
            let outputs = pools.map { checkProduct(op, m: m, n: n, k: k, pool: $0, seed: 5) }
            for out in outputs.dropFirst() {
                #expect(out.map(\.bitPattern) == outputs[0].map(\.bitPattern), "\(op) m=\(m) n=\(n) k=\(k)")
            }
        }
    }
}

@Suite("MatMul with a shared input")
struct SharedInputLinearTests {
    @Test("linear(sharing:) equals one linear per weight, bit for bit, tiled and not, row-blocked (m = 1100), with and without accumulate",
          arguments: [1, 3, 4, 37, 160, 1100])
    func sharedEqualsSeparate(m: Int) {
        let pool = ThreadPool(threadCount: 2)
        let k = 45, ns = [18, 7, 40]
        let x = randomFloats(m * k, seed: 3)
        let ws = ns.enumerated().map { randomFloats($0.element * k, seed: 10 + UInt64($0.offset)) }
        for accumulate in [false, true] {
            let bases = ns.enumerated().map { randomFloats(m * $0.element, seed: 20 + UInt64($0.offset)) }
            var separate = bases
            for i in ns.indices { MatMul.linear(&separate[i], x, ws[i], m: m, n: ns[i], k: k, accumulate: accumulate, pool: pool) }
            // The shared call writes into owned copies of the same starting values.
            let ys = bases.map { base -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: base.count)
                p.initialize(from: base, count: base.count)
                return p
            }
            let wp = ws.map { w -> UnsafeMutablePointer<Float> in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: w.count)
                p.initialize(from: w, count: w.count)
                return p
            }
            defer { ys.forEach { $0.deallocate() }; wp.forEach { $0.deallocate() } }
            MatMul.linear(sharing: ns.indices.map { .init(y: ys[$0], w: UnsafePointer(wp[$0]), n: ns[$0]) }, x,
                          m: m, k: k, accumulate: accumulate, pool: pool)
            for i in ns.indices {
                #expect(Array(UnsafeBufferPointer(start: ys[i], count: m * ns[i])) == separate[i],
                        "m=\(m) product \(i) accumulate=\(accumulate)")
            }
        }
    }
}
