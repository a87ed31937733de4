// Unicode classes used by the pre-tokenizer regexes: \p{L}, \p{N}, \p{P} and \s.
// llama.cpp derives them from Python's `regex` module (scripts/gen-unicode-data.py):
// \p{L} = Lu Ll Lt Lm Lo, \p{N} = Nd Nl No, \p{P} = Pc Pd Ps Pe Pi Pf Po, and \s is
// the White_Space property. Swift's `Unicode.Scalar.Properties` carries the same
// data, so no table is vendored; the Basic Multilingual Plane is cached in a
// 64 KiB table because titles are almost all BMP text.

/// Category bits of one code point, as the pre-tokenizer sees it.
struct CodepointClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = CodepointClass(rawValue: 1)
    static let number = CodepointClass(rawValue: 2)
    static let punctuation = CodepointClass(rawValue: 4)
    static let whitespace = CodepointClass(rawValue: 8)

    /// The class of `cp`. Surrogates and values past U+10FFFF (which llama.cpp's
    /// lenient UTF-8 decoder can produce) belong to no class.
    @inline(__always)
    static func of(_ cp: UInt32) -> CodepointClass {
        if cp < 0x10000 { return CodepointClass(rawValue: bmpTable[Int(cp)]) }
        return compute(cp)
    }

    private static let bmpTable: [UInt8] = (0..<0x10000).map { compute(UInt32($0)).rawValue }

    private static func compute(_ cp: UInt32) -> CodepointClass {
        guard let scalar = Unicode.Scalar(cp) else { return [] }
        var result: CodepointClass = []
        let props = scalar.properties
        switch props.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        if props.isWhitespace { result.insert(.whitespace) }
        return result
    }
}
