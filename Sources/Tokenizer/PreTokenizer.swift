// Byte-level BPE pre-tokenizers: the regex splits llama.cpp applies before BPE
// (llama-vocab.cpp `llm_tokenizer_bpe`, unicode.cpp `unicode_regex_split`),
// written as small scanners over code points instead of regexes: llama.cpp
// itself runs hand-written scanners for the GPT-2 and Llama 3 regexes and
// std::regex over category-collapsed text for the other stages, and scanners
// reproduce that exactly, without UTF-16 index conversion (NSRegularExpression
// could express \p{L} and \p{N}, but not llama.cpp's quirks). Each stage
// refines the pieces of the previous one; a stage never merges pieces. Text
// between matches stays a piece of its own, as with std::regex_iterator.
//
//   name (tokenizer.ggml.pre)        stages
//   gpt-2                            GPT-2 regex
//   smollm, starcoder, refact        \p{N} | GPT-2 regex
//   llama-bpe, llama3, llama-v3      Llama 3 regex
//   qwen2                            Qwen2 regex (the Llama 3 regex with single digits)
//   default (or absent)              [\p{P}$+<=>^~|]+ | GPT-2 regex | \p{N}+ | [0-9][0-9][0-9]
//
// GPT-2 regex:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Llama 3 regex: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Qwen2 regex:   the same with \p{N} in place of \p{N}{1,3} (llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2),
//                so "2024" is four pieces where Llama 3 makes "202" + "4".

/// A byte-level BPE pre-tokenizer, chosen by `tokenizer.ggml.pre`.
public enum PreTokenizer: String, Sendable, Equatable, CaseIterable {
    case gpt2
    case smollm
    case llama3
    case qwen2
    case defaultBPE

    /// The `tokenizer.ggml.pre` names accepted, with llama.cpp's aliases.
    public static let supportedNames = ["default", "gpt-2", "smollm", "starcoder", "refact",
                                        "llama-bpe", "llama3", "llama-v3", "qwen2"]

    /// Resolves a `tokenizer.ggml.pre` value; `nil` or empty means llama.cpp's default.
    public init?(name: String?) {
        switch name ?? "" {
        case "", "default": self = .defaultBPE
        case "gpt-2": self = .gpt2
        case "smollm", "starcoder", "refact": self = .smollm
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "qwen2": self = .qwen2
        default: return nil
        }
    }

    /// llama.cpp `ignore_merges`: a piece that is a whole vocabulary token is emitted as is.
    var ignoresMerges: Bool { self == .llama3 }
    /// llama.cpp `clean_spaces` for this pre-tokenizer (decoding only).
    var cleansSpaces: Bool { self != .smollm && self != .qwen2 }
    /// llama.cpp's `add_bos` default for this pre-tokenizer.
    var addsBOSByDefault: Bool { self == .llama3 }

    /// Splits code points into pieces; returns each piece's length in code points.
    func split(_ cps: [UInt32]) -> [Int] {
        var pieces = cps.isEmpty ? [] : [cps.count]
        switch self {
        case .gpt2:
            pieces = Self.gpt2Split(cps, pieces)
        case .smollm:
            pieces = Self.matchSplit(cps, pieces) { p, _ in CodepointClass.of(cps[p]).contains(.number) ? 1 : 0 }
            pieces = Self.gpt2Split(cps, pieces)
        case .llama3:
            pieces = Self.llama3Split(cps, pieces, digitsPerPiece: 3)
        case .qwen2:
            pieces = Self.llama3Split(cps, pieces, digitsPerPiece: 1)
        case .defaultBPE:
            pieces = Self.matchSplit(cps, pieces) { p, end in
                var q = p
                while q < end && Self.isDefaultPunctuation(cps[q]) { q += 1 }
                return q - p
            }
            pieces = Self.gpt2Split(cps, pieces)
            pieces = Self.matchSplit(cps, pieces) { p, end in
                var q = p
                while q < end && CodepointClass.of(cps[q]).contains(.number) { q += 1 }
                return q - p
            }
            pieces = Self.matchSplit(cps, pieces) { p, end in
                guard p + 3 <= end else { return 0 }
                for q in p..<(p + 3) where !(0x30...0x39).contains(cps[q]) { return 0 }
                return 3
            }
        }
        return pieces
    }

    /// [\p{P}$+<=>^~|]: punctuation plus the ASCII symbols llama.cpp lists.
    private static func isDefaultPunctuation(_ cp: UInt32) -> Bool {
        switch cp {
        case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true
        default: return CodepointClass.of(cp).contains(.punctuation)
        }
    }

    /// Emulates std::regex_iterator over each piece: `match(cps, pos, end)` returns
    /// the length of a match starting at `pos` (0 for none); matched spans and the
    /// gaps between them become pieces.
    private static func matchSplit(_ cps: [UInt32], _ pieces: [Int],
                                   _ match: (Int, Int) -> Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(pieces.count * 2)
        var start = 0
        for length in pieces {
            let end = start + length
            var gapStart = start
            var p = start
            while p < end {
                let m = match(p, end)
                if m > 0 {
                    if p > gapStart { out.append(p - gapStart) }
                    out.append(m)
                    p += m
                    gapStart = p
                } else {
                    p += 1
                }
            }
            if end > gapStart { out.append(end - gapStart) }
            start = end
        }
        return out
    }

    /// The GPT-2 regex as a scanner (llama.cpp `unicode_regex_split_custom_gpt2`).
    private static func gpt2Split(_ cps: [UInt32], _ pieces: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(cps.count / 3 + pieces.count)
        var start = 0
        for length in pieces {
            let end = start + length
            // The class at `p`, or nil outside this piece (the regex cannot look past it).
            func cls(_ p: Int) -> CodepointClass? { p < end ? CodepointClass.of(cps[p]) : nil }
            var pos = start
            var prevEnd = start
            func emit(_ e: Int) {
                if e > prevEnd { out.append(e - prevEnd) }
                prevEnd = e
            }
            while pos < end {
                let cp = cps[pos]
                // 's|'t|'re|'ve|'m|'ll|'d
                if cp == 0x27 && pos + 1 < end {
                    let n1 = cps[pos + 1]
                    if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {
                        pos += 2; emit(pos); continue
                    }
                    if pos + 2 < end {
                        let n2 = cps[pos + 2]
                        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                            pos += 3; emit(pos); continue
                        }
                    }
                }
                let here = CodepointClass.of(cp)
                let lead = cp == 0x20 ? cls(pos + 1) : here
                // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
                if let lead, lead.contains(.letter) {
                    pos += cp == 0x20 ? 1 : 0
                    while let c = cls(pos), c.contains(.letter) { pos += 1 }
                    emit(pos); continue
                }
                if let lead, lead.contains(.number) {
                    pos += cp == 0x20 ? 1 : 0
                    while let c = cls(pos), c.contains(.number) { pos += 1 }
                    emit(pos); continue
                }
                if let lead, lead.isDisjoint(with: [.whitespace, .letter, .number]) {
                    pos += cp == 0x20 ? 1 : 0
                    while let c = cls(pos), c.isDisjoint(with: [.whitespace, .letter, .number]) { pos += 1 }
                    emit(pos); continue
                }
                var spaces = 0
                while let c = cls(pos + spaces), c.contains(.whitespace) { spaces += 1 }
                // '\s+(?!\S)': leave the last space to prefix the next word
                if spaces > 1 && pos + spaces < end {
                    pos += spaces - 1; emit(pos); continue
                }
                if spaces > 0 {
                    pos += spaces; emit(pos); continue
                }
                pos += 1; emit(pos)
            }
            start = end
        }
        return out
    }

    /// The Llama 3 regex as a scanner (llama.cpp `unicode_regex_split_custom_llama3`);
    /// with `digitsPerPiece` 1 it is the Qwen2 regex (`\p{N}` instead of `\p{N}{1,3}`),
    /// the only difference between the two.
    private static func llama3Split(_ cps: [UInt32], _ pieces: [Int], digitsPerPiece: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(cps.count / 3 + pieces.count)
        var start = 0
        for length in pieces {
            let end = start + length
            func cls(_ p: Int) -> CodepointClass? { p < end ? CodepointClass.of(cps[p]) : nil }
            func isNewline(_ p: Int) -> Bool { p < end && (cps[p] == 0x0D || cps[p] == 0x0A) }
            func lower(_ cp: UInt32) -> UInt32 { (0x41...0x5A).contains(cp) ? cp + 0x20 : cp }
            var pos = start
            var prevEnd = start
            func emit(_ e: Int) {
                if e > prevEnd { out.append(e - prevEnd) }
                prevEnd = e
            }
            while pos < end {
                let cp = cps[pos]
                let here = CodepointClass.of(cp)
                // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                if cp == 0x27 && pos + 1 < end {
                    let n1 = lower(cps[pos + 1])
                    if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {
                        pos += 2; emit(pos); continue
                    }
                    if pos + 2 < end {
                        let n2 = lower(cps[pos + 2])
                        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                            pos += 3; emit(pos); continue
                        }
                    }
                }
                // [^\r\n\p{L}\p{N}]?\p{L}+
                if !(cp == 0x0D || cp == 0x0A || here.contains(.number)) {
                    if here.contains(.letter) || (cls(pos + 1)?.contains(.letter) ?? false) {
                        pos += 1
                        while let c = cls(pos), c.contains(.letter) { pos += 1 }
                        emit(pos); continue
                    }
                }
                // \p{N}{1,3} (Llama 3) or \p{N} (Qwen2)
                if here.contains(.number) {
                    var groupStart = pos
                    while let c = cls(pos), c.contains(.number) {
                        pos += 1
                        if pos - groupStart >= digitsPerPiece { emit(pos); groupStart = pos }
                    }
                    emit(pos); continue
                }
                // ' ?[^\s\p{L}\p{N}]+[\r\n]*' (llama.cpp tests the first code point's own
                // class for being inside the piece, which it always is here)
                let lead = cp == 0x20 ? cls(pos + 1) : here
                if let lead, lead.isDisjoint(with: [.whitespace, .letter, .number]) {
                    pos += cp == 0x20 ? 1 : 0
                    while let c = cls(pos), c.isDisjoint(with: [.whitespace, .letter, .number]) { pos += 1 }
                    while isNewline(pos) { pos += 1 }
                    emit(pos); continue
                } else if lead == nil {
                    // A lone trailing ' ': llama.cpp's test passes on the space's own
                    // class and consumes just the space.
                    pos += 1; emit(pos); continue
                }
                var spaces = 0
                var lastNewlineEnd = 0
                while let c = cls(pos + spaces), c.contains(.whitespace) {
                    if isNewline(pos + spaces) { lastNewlineEnd = pos + spaces + 1 }
                    spaces += 1
                }
                // \s*[\r\n]+
                if lastNewlineEnd > 0 {
                    pos = lastNewlineEnd; emit(pos); continue
                }
                // \s+(?!\S)
                if spaces > 1 && pos + spaces < end {
                    pos += spaces - 1; emit(pos); continue
                }
                if spaces > 0 {
                    pos += spaces; emit(pos); continue
                }
                pos += 1; emit(pos)
            }
            start = end
        }
        return out
    }
}
