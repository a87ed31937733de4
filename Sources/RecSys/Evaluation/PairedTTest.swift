// The paired Student t-test used by `hdrec compare` to judge whether two runs
// differ on a metric over the same users. The two-sided p-value is
// P(|T| >= |t|) with T ~ Student(n - 1), computed as the regularized incomplete
// beta I_{ν/(ν+t²)}(ν/2, 1/2) (Abramowitz & Stegun 26.7.1 / 26.5.27) with a
// modified-Lentz continued fraction (A&S 26.5.8), so no statistics library is needed.
import Foundation

public enum PairedTTest {
    /// Result of a paired test: mean difference a - b, t statistic, degrees of freedom, two-sided p.
    public struct Result: Sendable, Equatable {
        public var meanDifference: Double
        public var t: Double
        public var degreesOfFreedom: Int
        public var pValue: Double
    }

    /// Paired t-test of `a` against `b` (same length, >= 2 pairs).
    /// Identical samples give p = 1; a constant non-zero difference gives p = 0.
    public static func test(_ a: [Double], _ b: [Double]) throws -> Result {
        guard a.count == b.count else { throw RecSysError.mismatchedRuns("\(a.count) vs \(b.count) paired values") }
        guard a.count >= 2 else { throw RecSysError.mismatchedRuns("a paired t-test needs at least 2 users, found \(a.count)") }
        let n = Double(a.count)
        var mean = 0.0
        for i in a.indices { mean += a[i] - b[i] }
        mean /= n
        var ss = 0.0
        for i in a.indices { let d = a[i] - b[i] - mean; ss += d * d }
        let sd = (ss / (n - 1)).squareRoot()
        let df = a.count - 1
        if sd == 0 {
            return Result(meanDifference: mean, t: mean == 0 ? 0 : (mean > 0 ? .infinity : -.infinity), degreesOfFreedom: df, pValue: mean == 0 ? 1 : 0)
        }
        let t = mean / (sd / n.squareRoot())
        return Result(meanDifference: mean, t: t, degreesOfFreedom: df, pValue: twoSidedP(t: t, df: Double(df)))
    }

    /// Two-sided p-value of a Student t statistic with `df` degrees of freedom.
    public static func twoSidedP(t: Double, df: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        return min(1, max(0, regularizedIncompleteBeta(x: df / (df + t * t), a: df / 2, b: 0.5)))
    }

    /// Student t cumulative distribution function.
    public static func cdf(t: Double, df: Double) -> Double {
        let tail = 0.5 * regularizedIncompleteBeta(x: df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 <= x <= 1.
    public static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(x: 1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, eps = 1e-15
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m)
            // Even step.
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            // Odd step.
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < eps { break }
        }
        return h
    }
}
