// Ids back to text, as llama.cpp renders them (llama-vocab.cpp `token_to_piece`
// and `detokenize`):
// - control and unknown tokens render as nothing unless asked (`renderSpecial`);
//   user-defined tokens render as their text;
// - SentencePiece: "▁" becomes a space, byte tokens <0xXX> become that byte, and
//   one leading space is dropped when the model adds a space prefix;
// - byte-level BPE: each character maps back through GPT-2's byte table; then
//   llama.cpp's `clean_spaces` passes (" ." -> ".", " 's" -> "'s", ...) run for
//   the pre-tokenizers that enable them.
// Bytes are concatenated before UTF-8 decoding, so a character split across
// several byte tokens is reassembled.

extension Tokenizer {
    /// The bytes of token `id` as llama.cpp's piece cache holds them (special tokens as their text).
    func renderPiece(_ id: Int32) -> [UInt8] {
        let text = table.texts[Int(id)]
        switch table.types[Int(id)] {
        case .control, .unknown, .userDefined:
            return text
        case .byte:
            return [Self.byteValue(of: text)]
        case .normal:
            switch kind {
            case .sentencePiece:
                return Self.unescapeSpaces(text)
            case .byteLevelBPE:
                return Self.byteLevelDecode(text)
            }
        case .unused, .undefined:
            return []
        }
    }

    /// Bytes of one token's piece; control/unknown tokens are empty unless `renderSpecial`.
    /// Streaming decoders should concatenate these bytes and decode UTF-8 once complete.
    public func pieceBytes(_ id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        guard id >= 0, Int(id) < pieces.count else { return [] }
        if !renderSpecial && table.types[Int(id)].isSpecial { return [] }
        return pieces[Int(id)]
    }

    /// The text of one token's piece, special tokens rendered as their text
    /// (a lone byte token of a multi-byte character decodes to U+FFFD).
    public func piece(_ id: Int32) -> String {
        String(decoding: pieceBytes(id, renderSpecial: true), as: UTF8.self)
    }

    /// Decodes ids to text. `removeSpecial` drops a leading BOS / trailing EOS when
    /// the model adds them; `renderSpecial` writes control tokens as their text.
    public func decode(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial), as: UTF8.self)
    }

    /// `decode` without the final UTF-8 decoding.
    public func decodeBytes(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = false) -> [UInt8] {
        var ids = ids[...]
        var removeSpace = addSpacePrefix
        if removeSpecial && addBOSByDefault, let bos = bosID, ids.first == bos {
            removeSpace = false
            ids = ids.dropFirst()
        }
        if removeSpecial && addEOSByDefault, let eos = eosID, ids.last == eos {
            ids = ids.dropLast()
        }
        var out: [UInt8] = []
        for id in ids {
            let piece = pieceBytes(id, renderSpecial: renderSpecial)
            if removeSpace && piece.first == 0x20 {
                out.append(contentsOf: piece.dropFirst())
            } else {
                out.append(contentsOf: piece)
            }
            removeSpace = false
        }
        return cleanSpaces ? Self.cleanSpaces(out) : out
    }

    // MARK: - Helpers

    /// "<0xAB>" -> 0xAB; like llama.cpp's strtol on text[3..<5], stops at the first non-hex digit.
    static func byteValue(of text: [UInt8]) -> UInt8 {
        var value: UInt8 = 0
        var i = 3
        while i < min(5, text.count), let digit = hexDigit(text[i]) {
            value = value << 4 | digit
            i += 1
        }
        return value
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// SentencePiece pieces: "▁" (E2 96 81) -> " ".
    static func unescapeSpaces(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + 2 < text.count && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// Byte-level characters -> raw bytes; a character outside GPT-2's table is
    /// written as llama.cpp does: "[UNK_BYTE_0x<hex of the character>" + token + "]".
    static func byteLevelDecode(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        for cp in LenientUTF8.decode(text[...]) {
            if let b = ByteLevel.byte(for: cp) {
                out.append(b)
            } else {
                var utf8: [UInt8] = []
                LenientUTF8.append(cp, to: &utf8)
                out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for b in utf8 {
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
                }
                out.append(contentsOf: text)
                out.append(UInt8(ascii: "]"))
            }
        }
        return out
    }

    /// llama.cpp's three `clean_spaces` passes, on bytes, in place as it does them.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        let space = UInt8(ascii: " "), quote = UInt8(ascii: "'")
        var text = input
        // 1: " ?", " !", " .", " ," lose the space
        var total = text.isEmpty ? 0 : 1
        var n = text.count
        var i = 1
        while i < n {
            let x = text[i]
            if text[i - 1] == space && (x == UInt8(ascii: "?") || x == UInt8(ascii: "!")
                                        || x == UInt8(ascii: ".") || x == UInt8(ascii: ",")) {
                total -= 1
            }
            text[total] = x
            total += 1
            i += 1
        }
        // 2: a lone apostrophe between spaces loses both spaces
        n = total
        total = n == 0 ? 0 : 1
        i = 1
        while i < n {
            let x = text[i]
            if x == quote && i + 1 < n && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        // 3: " 's", " 'm", " 're", " 've" lose the space
        n = total
        total = n == 0 ? 0 : 1
        i = 1
        while i < n {
            let x = text[i]
            if text[i - 1] == space && x == quote && i + 1 < n {
                let x1 = text[i + 1]
                if x1 == UInt8(ascii: "s") || x1 == UInt8(ascii: "m") {
                    total -= 1
                } else if x1 != UInt8(ascii: "t") && x1 != UInt8(ascii: "d") && i + 2 < n {
                    let x2 = text[i + 2]
                    if (x1 == UInt8(ascii: "r") || x1 == UInt8(ascii: "v")) && x2 == UInt8(ascii: "e") {
                        total -= 1
                    }
                }
            }
            text[total] = x
            total += 1
            i += 1
        }
        return Array(text[0..<total])
    }
}
