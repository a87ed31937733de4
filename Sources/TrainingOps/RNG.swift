// Seeded randomness for training: a sequential SplitMix64 stream (initialisation, shuffling)
// and a counter-based hash (dropout masks).
//
// SplitMix64 follows Steele, Lea & Flood, "Fast splittable pseudorandom number generators"
// (OOPSLA 2014), the generator swift-argument-parser's examples and java.util.SplittableRandom use.
// The sequential stream is Support's SplitMix64 (same algorithm, same outputs); this type adds
// the helpers the ops need (ranges, derived seeds, the counter-based hash).
//
// Dropout masks are a pure function of (seed, element index), so backward regenerates the mask
// instead of storing it, and row chunks can be masked in parallel in any order.

/// A seeded SplitMix64 stream.
public struct TrainingRNG: Sendable {
    var base: SplitMix64

    public init(seed: UInt64) { base = SplitMix64(seed: seed) }

    public mutating func next() -> UInt64 { base.next() }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * nextUnit() }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        var u1 = nextUnit()
        while u1 <= 0 { u1 = nextUnit() }
        let u2 = nextUnit()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Uniform integer in 0..<n (n > 0), by Lemire's multiply-shift without rejection bias worth
    /// mentioning at n ≪ 2^64.
    public mutating func nextInt(below n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A derived seed for a named sub-stream (e.g. one dropout site at one step).
    public static func derive(_ seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> UInt64 {
        mix(seed ^ mix(a &+ 0x632B_E59B_D9B4_E019) ^ mix(b &+ 0x8CB9_2BA7_2F3D_8DD7))
    }

    /// The SplitMix64 finaliser: a bijective 64-bit mixer.
    @inlinable @inline(__always)
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Counter-based uniform in [0, 1) for element `index` of the stream `seed`.
    @inlinable @inline(__always)
    public static func unit(seed: UInt64, index: Int) -> Double {
        Double(mix(seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15) >> 11) * 0x1.0p-53
    }
}

import Foundation
import Support
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
