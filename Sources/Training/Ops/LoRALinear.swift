// LoRALinear: a frozen Linear plus a low-rank update, y = x·Wᵀ (+ b) + s·(drop(x)·Aᵀ)·Bᵀ.
//
// Hu et al. 2021 (LoRA) as PEFT implements it: lora_A is [R, K], lora_B is [N, R], dropout acts on
// the adapter's input only, s = alpha / r (HDRec: r = 8, alpha = 32, so s = 4; dropout 0.3,
// reference-implementation.md §3). W is frozen, so backward gives dX, dA and dB but never dW.
//
// Saved for backward: u = drop(x)·Aᵀ, (M, R): R floats per row. The dropped input is
// regenerated from x and the seed (Dropout.swift) instead of being stored.

/// The shape and hyper-parameters of one LoRA-adapted projection.
public struct LoRAShape: Sendable, Equatable {
    /// Rows (tokens).
    public var m: Int
    /// Output features.
    public var n: Int
    /// Input features.
    public var k: Int
    /// Adapter rank R.
    public var rank: Int
    /// s = alpha / rank.
    public var scale: Double
    /// Dropout probability on the adapter input (0 in evaluation).
    public var dropout: Double

    public init(m: Int, n: Int, k: Int, rank: Int, scale: Double, dropout: Double) {
        self.m = m; self.n = n; self.k = k; self.rank = rank; self.scale = scale; self.dropout = dropout
    }
}

/// A frozen projection with a trainable low-rank adapter.
public enum LoRALinear {
    /// Forward.
    /// - Parameters:
    ///   - out: y, (M, N), overwritten
    ///   - saved: u = drop(x)·Aᵀ, (M, R), overwritten (keep it for backward)
    ///   - input: x, (M, K)
    ///   - weight: frozen W, (N, K); bias: frozen b, (N) or nil
    ///   - a: lora_A, (R, K); b: lora_B, (N, R)
    ///   - seed: the dropout stream for this site and step (reuse it in backward)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func forward<T: TrainScalar>(out: UnsafeMutablePointer<T>, saved u: UnsafeMutablePointer<T>,
                                              input: UnsafePointer<T>, weight: UnsafePointer<T>,
                                              bias: UnsafePointer<T>?, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                              shape s: LoRAShape, seed: UInt64) {
        Linear.forward(out: out, input: input, weight: weight, bias: bias, m: s.m, n: s.n, k: s.k)
        withDroppedInput(input, s, seed) { xd in
            T.gemmLinear(u, xd, a, m: s.m, n: s.rank, k: s.k, accumulate: false)
        }
        // y += (s·u)·Bᵀ: scale the small (M, R) factor, not the (M, N) output.
        let su = UnsafeMutablePointer<T>.allocate(capacity: s.m * s.rank)
        defer { su.deallocate() }
        let scale = T(s.scale)
        for i in 0..<(s.m * s.rank) { su[i] = u[i] * scale }
        T.gemmLinear(out, su, b, m: s.m, n: s.n, k: s.rank, accumulate: true)
    }

    /// Backward. Accumulates into dInput (if non-nil), dA and dB (if non-nil).
    /// - Parameters:
    ///   - dInput: dX, (M, K) or nil when the input needs no gradient
    ///   - dA: (R, K); dB: (N, R); nil for a frozen adapter (gradient still flows to dX)
    ///   - dOut: dY, (M, N)
    ///   - input, saved, weight, a, b, seed: as passed to forward
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func backward<T: TrainScalar>(dInput: UnsafeMutablePointer<T>?, dA: UnsafeMutablePointer<T>?,
                                               dB: UnsafeMutablePointer<T>?, dOut: UnsafePointer<T>,
                                               input: UnsafePointer<T>, saved u: UnsafePointer<T>,
                                               weight: UnsafePointer<T>, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                               shape s: LoRAShape, seed: UInt64) {
        let mr = s.m * s.rank
        let scale = T(s.scale)
        // dU = s · dY·B, (M, R)
        let dU = UnsafeMutablePointer<T>.allocate(capacity: mr)
        defer { dU.deallocate() }
        T.gemm(dU, dOut, b, m: s.m, n: s.rank, k: s.n, accumulate: false)
        for i in 0..<mr { dU[i] *= scale }
        // dB += s · dYᵀ·u, (N, R)
        if let dB {
            let su = UnsafeMutablePointer<T>.allocate(capacity: mr)
            defer { su.deallocate() }
            for i in 0..<mr { su[i] = u[i] * scale }
            T.gemmTransA(dB, dOut, su, m: s.n, n: s.rank, k: s.m, accumulate: true)
        }
        // dA += dUᵀ·drop(x), (R, K)
        if let dA {
            withDroppedInput(input, s, seed) { xd in
                T.gemmTransA(dA, dU, xd, m: s.rank, n: s.k, k: s.m, accumulate: true)
            }
        }
        guard let dInput else { return }
        // dX += dY·W (frozen path) + dropout'(dU·A) (adapter path)
        T.gemm(dInput, dOut, weight, m: s.m, n: s.k, k: s.n, accumulate: true)
        if s.dropout <= 0 {
            T.gemm(dInput, dU, a, m: s.m, n: s.k, k: s.rank, accumulate: true)
        } else {
            let mk = s.m * s.k
            let tmp = UnsafeMutablePointer<T>.allocate(capacity: mk)
            defer { tmp.deallocate() }
            T.gemm(tmp, dU, a, m: s.m, n: s.k, k: s.rank, accumulate: false)
            Dropout.backward(dInput: dInput, dOut: tmp, count: mk, p: s.dropout, seed: seed)
        }
    }

    /// Calls `body` with drop(x): x itself when dropout is off, else a temporary masked copy.
    @inline(__always)
    static func withDroppedInput<T: TrainScalar>(_ x: UnsafePointer<T>, _ s: LoRAShape, _ seed: UInt64,
                                                 _ body: (UnsafePointer<T>) -> Void) {
        if s.dropout <= 0 { body(x); return }
        let n = s.m * s.k
        let xd = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { xd.deallocate() }
        Dropout.forward(out: xd, input: x, count: n, p: s.dropout, seed: seed)
        body(xd)
    }
}
