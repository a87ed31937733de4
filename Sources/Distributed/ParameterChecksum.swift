// A 64-bit hash of parameter values' bit patterns, to see that every rank holds the
// same parameters. Bit patterns, not values: 0.0 and -0.0, or two NaN payloads, count
// as different, because ranks that started equal and applied the same all-reduced
// gradients must agree bit for bit; any difference means they have begun to drift.
//
// FNV-1a over 32-bit words (64-bit state and prime), then SplitMix64's finaliser so
// that a one-bit change moves every output bit. Not cryptographic; one multiply per
// word keeps a million parameters under a couple of milliseconds.

/// Accumulates buffers in order; splitting the same values differently gives the same hash.
public struct ParameterChecksum: Sendable, Equatable {
    private static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    private var state = ParameterChecksum.offsetBasis
    /// 32-bit words hashed so far (a Double counts two).
    public private(set) var words = 0

    public init() {}

    /// The checksum of one buffer.
    public init(_ values: UnsafeBufferPointer<Float>) { add(values) }

    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        var h = state
        for v in values { h = (h ^ UInt64(v.bitPattern)) &* Self.prime }
        state = h
        words += values.count
    }

    public mutating func add(_ values: UnsafeBufferPointer<Double>) {
        var h = state
        for v in values {
            let bits = v.bitPattern
            h = (h ^ (bits & 0xFFFF_FFFF)) &* Self.prime
            h = (h ^ (bits >> 32)) &* Self.prime
        }
        state = h
        words += 2 * values.count
    }

    public mutating func add(_ values: [Float]) { values.withUnsafeBufferPointer { add($0) } }
    public mutating func add(_ values: [Double]) { values.withUnsafeBufferPointer { add($0) } }

    /// The hash of everything added (the word count is mixed in, so a prefix differs).
    public var value: UInt64 {
        var z = state ^ (UInt64(words) &* 0x9E37_79B9_7F4A_7C15)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
