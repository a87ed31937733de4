// Integers from number text without a detour through Double: "9007199254740993" stays
// itself, "1e2" and "100.0" are 100, "1.5" and "1e30" are no Int.

extension JSONNumber {
    /// The number as a `T` when its value is an integer in `T`'s range, exactly.
    func exactInteger<T: FixedWidthInteger>(_: T.Type) -> T? {
        if let v = T(text) { return v }
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        var exponent = 0
        if let e = utf8.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            // Exponents beyond a few digits are either zeros around nothing or far out of range.
            guard let x = Int(String(decoding: utf8[utf8.index(after: e)...], as: UTF8.self)), abs(x) < 10_000 else { return nil }
            exponent = x
            utf8 = utf8[..<e]
        }
        var digits = Array(utf8)
        if let dot = digits.firstIndex(of: UInt8(ascii: ".")) {
            exponent -= digits.count - dot - 1
            digits.remove(at: dot)
        }
        // digits × 10^exponent, an integer when the digits dropped by a negative exponent are zeros.
        while let first = digits.first, first == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst() }
        if digits == [UInt8(ascii: "0")] { return 0 }
        if exponent < 0 {
            guard -exponent <= digits.count, digits.suffix(-exponent).allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
            digits.removeLast(-exponent)
        } else {
            guard digits.count + exponent <= 40 else { return nil }
            digits += repeatElement(UInt8(ascii: "0"), count: exponent)
        }
        return T((negative ? "-" : "") + String(decoding: digits, as: UTF8.self))
    }
}
