// A JSON number kept as its text. Parsed numbers keep the literal as written; numbers
// built in code choose their text once, so serializing never rounds through Double
// behind the caller's back.

public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The number's JSON text (valid against the JSON number grammar).
    public let text: String

    /// Text already checked against the grammar (the parser's literals).
    init(validated text: String) { self.text = text }

    /// `d` with integral values (below 1e15 in magnitude) printed without a fraction, others
    /// in Swift's shortest round-trip form; nil when `d` is not finite.
    public init?(_ d: Double) {
        guard d.isFinite else { return nil }
        if d == d.rounded(), abs(d) < 1e15 { text = String(Int64(d)) } else { text = "\(d)" }
    }

    public init(_ i: Int) { text = String(i) }
    public init(_ u: UInt64) { text = String(u) }

    /// `f` in Swift's shortest round-trip form for a Float ("0.1", "1.0", "1e-05"); nil
    /// when `f` is not finite.
    public init?(shortest f: Float) {
        guard f.isFinite else { return nil }
        text = "\(f)"
    }

    /// `d` in Swift's shortest round-trip form ("0.5", "1.0"); nil when `d` is not finite.
    public init?(shortest d: Double) {
        guard d.isFinite else { return nil }
        text = "\(d)"
    }

    /// The nearest Double (finite for every number the parser accepts).
    public var double: Double { Double(text) ?? .nan }
    /// The value when the text is an integer literal that fits in Int.
    public var int: Int? { Int(text) }
    /// The value when the text is a non-negative integer literal that fits in UInt64.
    public var uint64: UInt64? { UInt64(text) }

    public var description: String { text }

    /// Numbers are equal when they denote the same value: integer literals compare
    /// exactly, anything with a fraction or exponent compares as Double ("1" == "1.0").
    public static func == (a: JSONNumber, b: JSONNumber) -> Bool {
        if a.text == b.text { return true }
        if let x = Int64(a.text), let y = Int64(b.text) { return x == y }
        if let x = UInt64(a.text), let y = UInt64(b.text) { return x == y }
        if a.isIntegerLiteral && b.isIntegerLiteral { return false }
        return a.double == b.double
    }

    private var isIntegerLiteral: Bool { !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } }
}

extension JSONNumber {
    /// Appends `value` in decimal ASCII, without the String that `String(value)` makes:
    /// for byte builders on hot paths (HTTP framing, the access log).
    public static func write(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var divisor: UInt64 = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        } while divisor > 0
    }
}
