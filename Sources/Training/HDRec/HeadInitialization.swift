// Starting values for heads that start from what the items are (docs/training.md "Recipes and the shipped configuration").
//
// Factorized IPL, z = (h·Wpᵀ + bp)·Eᵀ + b with E = [E_sas | E_text]:
//   b   = centred log(1 + training-target count): the popularity prior, fine-tuned;
//   Wp  = [0 ; κ·I]: the SASRec block starts at zero, the text block maps the hidden state to
//         itself, so at step 0 the text pass scores item i by h·ê_text(i) (content similarity
//         between the read position and each item's text); κ sets the logits' spread.
// Projector (lever (b)): a ridge map R from SASRec rows to the items' mean token embeddings,
// written into the SiLU MLP exactly: with hidden pairs (+s·e_d, −s·e_d),
//   silu(s·x) − silu(−s·x) = s·x,
// so W2 = [R/s, −R/s] gives Proj(x) = R·x + c. ID tokens then arrive at the place and scale of
// the word embeddings of the item's own text.
import TrainingOps

/// What the factorized head and the projector start from.
public struct HeadInitialization {
    /// Centred log-popularity, (I); nil: zeros.
    public var itemPrior: [Float]?
    /// κ of the text block of Wp.
    public var textScale: Float = 0
    /// The projector's ridge initialisation; nil: PyTorch's Linear defaults.
    public var projector: ProjectorRidgeMap?
    /// The SASRec block of Wp and bp: a ridge probe of SASRec's state from the read state; nil: zeros.
    public var sasrecProbe: SASRecProbe?

    public init(itemPrior: [Float]? = nil, textScale: Float = 0, projector: ProjectorRidgeMap? = nil) {
        self.itemPrior = itemPrior; self.textScale = textScale; self.projector = projector
    }

    func apply<T>(to parameters: HDRecParameters<T>, width k: Int, modelWidth c: Int, sasrecWidth d: Int, itemCount: Int) throws {
        let w = try parameters.parameter(.ipl(.projection)), b = try parameters.parameter(.ipl(.projectionBias))
        let bias = try parameters.parameter(.ipl(.itemBias))
        w.update(repeating: 0, count: k * c)
        b.update(repeating: 0, count: k)
        // Text block: rows d ..< d + c of Wp (K, C) are κ·I.
        for j in 0 ..< c { w[(d + j) * c + j] = T(textScale) }
        // SASRec block: rows 0 ..< d of Wp are the probe M (D, C), bp[0 ..< d] its intercept.
        if let probe = sasrecProbe {
            guard probe.map.count == d * c, probe.intercept.count == d else {
                throw HDRecTrainingError.invalidConfiguration(field: "SASRec probe", reason: "expected (\(d), \(c)), found \(probe.map.count) values")
            }
            for i in 0 ..< d * c { w[i] = T(probe.map[i]) }
            for i in 0 ..< d { b[i] = T(probe.intercept[i]) }
        }
        if let prior = itemPrior {
            guard prior.count == itemCount else {
                throw HDRecTrainingError.invalidConfiguration(field: "item prior", reason: "\(prior.count) values for \(itemCount) items")
            }
            for i in 0 ..< itemCount { bias[i] = T(prior[i]) }
        } else {
            bias.update(repeating: 0, count: itemCount)
        }
    }
}

/// s ≈ M·h + c: SASRec's user state from the frozen decoder's read state.
public struct SASRecProbe {
    /// M (D, C)
    public var map: [Float]
    /// c (D)
    public var intercept: [Float]
    /// Positions it was fitted on.
    public var rows: Int
}

/// A linear map x ↦ R·x + c from the SASRec space (D) to the decoder's input space (C).
public struct ProjectorRidgeMap {
    /// R (C, D), row-major.
    public var map: [Float]
    /// c (C)
    public var intercept: [Float]
    /// s: the pre-activation scale of the hidden pairs (the identity above is exact for every s;
    /// it only sets how far the pairs sit from SiLU's kink when training moves them).
    public var scale: Float = 1

    public init(map: [Float], intercept: [Float], scale: Float = 1) {
        self.map = map; self.intercept = intercept; self.scale = scale
    }

    func apply<T>(to parameters: HDRecParameters<T>, hidden h: Int, input d: Int, output c: Int) throws {
        guard h >= 2 * d else {
            throw HDRecTrainingError.invalidConfiguration(field: "projector hidden",
                                                          reason: "the ridge initialisation needs at least \(2 * d) hidden units, found \(h)")
        }
        guard map.count == c * d, intercept.count == c else {
            throw HDRecTrainingError.invalidConfiguration(field: "projector ridge map", reason: "expected (\(c), \(d)) and (\(c)), found \(map.count) and \(intercept.count)")
        }
        let w1 = try parameters.parameter(.projector(.inWeight)), b1 = try parameters.parameter(.projector(.inBias))
        let w2 = try parameters.parameter(.projector(.outWeight)), b2 = try parameters.parameter(.projector(.outBias))
        // W1 (H, D): the first 2D rows are ±s·e_d; the others keep their random init.
        for r in 0 ..< 2 * d {
            for j in 0 ..< d { w1[r * d + j] = 0 }
            w1[r * d + (r % d)] = T(r < d ? scale : -scale)
            b1[r] = 0
        }
        // W2 (C, H): [R/s, −R/s, 0].
        for i in 0 ..< c {
            for r in 0 ..< h { w2[i * h + r] = 0 }
            for j in 0 ..< d {
                w2[i * h + j] = T(map[i * d + j] / scale)
                w2[i * h + d + j] = T(-map[i * d + j] / scale)
            }
            b2[i] = T(intercept[i])
        }
    }

    /// Ridge regression Y ≈ X·Rᵀ + 1·cᵀ over rows (centred, in Double, solved by Cholesky).
    /// - Parameters: x (n, d), y (n, c); `ridge` is relative to the mean diagonal of XᵀX.
    public static func fit(x: [Float], y: [Float], rows n: Int, input d: Int, output c: Int, ridge: Double = 0.1) throws -> ProjectorRidgeMap {
        var mx = [Double](repeating: 0, count: d), my = [Double](repeating: 0, count: c)
        for r in 0 ..< n {
            for j in 0 ..< d { mx[j] += Double(x[r * d + j]) }
            for j in 0 ..< c { my[j] += Double(y[r * c + j]) }
        }
        for j in 0 ..< d { mx[j] /= Double(n) }
        for j in 0 ..< c { my[j] /= Double(n) }
        var a = [Double](repeating: 0, count: d * d), bt = [Double](repeating: 0, count: d * c)  // XᵀX (d,d), XᵀY (d,c)
        var xr = [Double](repeating: 0, count: d)
        for r in 0 ..< n {
            for j in 0 ..< d { xr[j] = Double(x[r * d + j]) - mx[j] }
            for i in 0 ..< d {
                let xi = xr[i]
                for j in 0 ..< d { a[i * d + j] += xi * xr[j] }
                for j in 0 ..< c { bt[i * c + j] += xi * (Double(y[r * c + j]) - my[j]) }
            }
        }
        var trace = 0.0
        for i in 0 ..< d { trace += a[i * d + i] }
        let mu = ridge * max(trace / Double(d), 1e-12)
        for i in 0 ..< d { a[i * d + i] += mu }
        let solution = try CholeskySolve.solve(a, bt, n: d, columns: c)   // Rᵀ (d, c)
        var map = [Float](repeating: 0, count: c * d), intercept = [Float](repeating: 0, count: c)
        for i in 0 ..< c {
            var v = my[i]
            for j in 0 ..< d {
                map[i * d + j] = Float(solution[j * c + i])
                v -= solution[j * c + i] * mx[j]
            }
            intercept[i] = Float(v)
        }
        return ProjectorRidgeMap(map: map, intercept: intercept)
    }
}

/// Solves A·X = B for a symmetric positive definite A (n, n) and B (n, columns), in Double.
enum CholeskySolve {
    static func solve(_ a: [Double], _ b: [Double], n: Int, columns m: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            for j in 0 ... i {
                var s = a[i * n + j]
                for k in 0 ..< j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else {
                        throw HDRecTrainingError.invalidConfiguration(field: "ridge system", reason: "not positive definite at row \(i)")
                    }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var x = b
        for col in 0 ..< m {
            for i in 0 ..< n {           // L·y = b
                var s = x[i * m + col]
                for k in 0 ..< i { s -= l[i * n + k] * x[k * m + col] }
                x[i * m + col] = s / l[i * n + i]
            }
            for i in stride(from: n - 1, through: 0, by: -1) {   // Lᵀ·x = y
                var s = x[i * m + col]
                for k in (i + 1) ..< n { s -= l[k * n + i] * x[k * m + col] }
                x[i * m + col] = s / l[i * n + i]
            }
        }
        return x
    }
}
