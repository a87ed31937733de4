// GPT-2's byte-to-unicode table (openai/gpt-2 encoder.py `bytes_to_unicode`, also
// llama.cpp unicode.cpp): the 188 printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' map
// to themselves, and the other 68 bytes map, in byte order, to U+0100, U+0101, ...
// Byte-level BPE vocabularies store token text in this alphabet, so "Ġthe" is
// the bytes " the".

enum ByteLevel {
    /// `codepoint[b]`: the character that stands for byte `b`.
    static let codepoint: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// `utf8[b]`: the UTF-8 bytes of the character that stands for byte `b`.
    static let utf8: [[UInt8]] = codepoint.map { cp in
        var out: [UInt8] = []
        LenientUTF8.append(cp, to: &out)
        return out
    }

    /// The byte a character stands for, or `nil` for characters outside the table.
    static func byte(for cp: UInt32) -> UInt8? {
        if cp < 0x100 {
            let b = Int(cp)
            return codepoint[b] == cp ? UInt8(b) : nil
        }
        if cp < 0x100 + 68 {
            return reverseHigh[Int(cp - 0x100)]
        }
        return nil
    }

    private static let reverseHigh: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for b in 0..<256 where codepoint[b] >= 0x100 {
            table[Int(codepoint[b] - 0x100)] = UInt8(b)
        }
        return table
    }()

    /// Byte-level form of raw bytes (each byte replaced by its character's UTF-8).
    static func encode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(contentsOf: utf8[Int(b)]) }
        return out
    }
}
