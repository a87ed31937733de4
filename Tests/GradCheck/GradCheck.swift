// GradCheck: the finite-difference harness every op test uses (TrainingOpsTests, TrainingTests), as
// llm.c checks its backward passes. A library target of its own so both test targets share it.
//
// A test draws random inputs and a random upstream gradient dOut, defines L = Σ out ⊙ dOut, runs the
// op's backward once to get analytic gradients, and compares them with central differences
// (L(x+h) − L(x−h)) / 2h in Double, element by element (sampled when large), by relative error.
import Testing
import TrainingOps

/// Random Double tensors from a seeded stream.
public struct Draw {
    public var rng: TrainingRNG
    public init(seed: UInt64) { rng = TrainingRNG(seed: seed) }

    public mutating func tensor(_ count: Int, scale: Double = 1) -> Tensor<Double> {
        let t = Tensor<Double>(count: count)
        for i in 0..<count { t[i] = rng.uniform(-scale, scale) }
        return t
    }

    public mutating func ints(_ count: Int, below n: Int) -> [Int32] {
        (0..<count).map { _ in Int32(rng.nextInt(below: n)) }
    }
}

/// Σ out ⊙ dOut.
public func dot(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    precondition(a.count == b.count)
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
}

/// A tensor the check perturbs, with the analytic gradient the op produced for it.
public struct Checked {
    public let name: String
    public let value: Tensor<Double>
    public let gradient: Tensor<Double>
    public init(_ name: String, _ value: Tensor<Double>, _ gradient: Tensor<Double>) {
        self.name = name; self.value = value; self.gradient = gradient
    }
}

/// Compares analytic gradients with central differences of `loss`; returns the worst relative error.
@discardableResult
public func expectGradientsMatch(_ checked: [Checked], maxSamples: Int = 48, h: Double = 1e-5, tolerance: Double = 1e-6,
                          sourceLocation: SourceLocation = #_sourceLocation, loss: () -> Double) -> Double {
    var worst = 0.0
    for c in checked {
        let n = c.value.count
        let stride = max(1, n / maxSamples)
        var i = 0
        while i < n {
            let saved = c.value[i]
            c.value[i] = saved + h
            let lp = loss()
            c.value[i] = saved - h
            let lm = loss()
            c.value[i] = saved
            let numeric = (lp - lm) / (2 * h)
            let analytic = c.gradient[i]
            let err = abs(numeric - analytic) / max(abs(numeric) + abs(analytic), 1e-3)
            worst = max(worst, err)
            #expect(err < tolerance, "\(c.name)[\(i)]: analytic \(analytic), numeric \(numeric)",
                    sourceLocation: sourceLocation)
            i += stride
        }
    }
    _ = loss() // leave the saved activations as the unperturbed forward made them
    return worst
}

/// Asserts b == 2·a element-wise (the `+=` contract: backward called twice doubles the gradient).
public func expectDoubled(_ once: [Double], _ twice: Tensor<Double>, _ name: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(once.count == twice.count, sourceLocation: sourceLocation)
    var worst = 0.0
    for i in 0..<once.count { worst = max(worst, abs(twice[i] - 2 * once[i])) }
    #expect(worst < 1e-12 * max(1, once.map(abs).max() ?? 1), "\(name): backward twice is not 2× once",
            sourceLocation: sourceLocation)
    #expect(once.contains { $0 != 0 }, "\(name): gradient is all zero, the check proves nothing",
            sourceLocation: sourceLocation)
}
