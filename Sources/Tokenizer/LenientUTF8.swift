// UTF-8 decoding and encoding exactly as llama.cpp's unicode.cpp does it, so that
// any byte string (invalid UTF-8 included) splits into the same code points:
// - a lead byte's length comes from its high nibble (unicode_len_utf8);
// - a sequence is accepted when its continuation bytes are 10xxxxxx, without
//   rejecting overlong forms or surrogates (unicode_cpt_from_utf8);
// - an invalid byte becomes U+FFFD and decoding resumes at the next byte
//   (unicode_cpts_from_utf8).
// Encoding writes any value up to U+10FFFF (surrogates too); larger values, which
// llama.cpp cannot encode, are written as U+FFFD.

enum LenientUTF8 {
    /// Byte length of a UTF-8 sequence from its first byte (1 for stray continuation bytes).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// Decodes `bytes` to code points; invalid bytes become U+FFFD one at a time.
    static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        let end = bytes.endIndex
        @inline(__always) func cont(_ k: Int) -> Bool { k < end && bytes[k] & 0xC0 == 0x80 }
        while i < end {
            let b0 = bytes[i]
            if b0 & 0x80 == 0 {
                out.append(UInt32(b0)); i += 1
            } else if b0 & 0x40 == 0 {
                out.append(0xFFFD); i += 1
            } else if b0 & 0x20 == 0 {
                if cont(i + 1) {
                    out.append(UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)); i += 2
                } else { out.append(0xFFFD); i += 1 }
            } else if b0 & 0x10 == 0 {
                if cont(i + 1) && cont(i + 2) {
                    out.append(UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F))
                    i += 3
                } else { out.append(0xFFFD); i += 1 }
            } else if b0 & 0x08 == 0 {
                if cont(i + 1) && cont(i + 2) && cont(i + 3) {
                    out.append(UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                               | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F))
                    i += 4
                } else { out.append(0xFFFD); i += 1 }
            } else {
                out.append(0xFFFD); i += 1
            }
        }
        return out
    }

    /// Appends the UTF-8 form of `cp` to `out` (values past U+10FFFF as U+FFFD).
    @inline(__always)
    static func append(_ cp: UInt32, to out: inout [UInt8]) {
        switch cp {
        case 0..<0x80:
            out.append(UInt8(cp))
        case 0x80..<0x800:
            out.append(0xC0 | UInt8(cp >> 6)); out.append(0x80 | UInt8(cp & 0x3F))
        case 0x800..<0x10000:
            out.append(0xE0 | UInt8(cp >> 12)); out.append(0x80 | UInt8((cp >> 6) & 0x3F))
            out.append(0x80 | UInt8(cp & 0x3F))
        case 0x10000...0x10FFFF:
            out.append(0xF0 | UInt8(cp >> 18)); out.append(0x80 | UInt8((cp >> 12) & 0x3F))
            out.append(0x80 | UInt8((cp >> 6) & 0x3F)); out.append(0x80 | UInt8(cp & 0x3F))
        default:
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])
        }
    }
}
