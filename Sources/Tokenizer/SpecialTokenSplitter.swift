// Splitting special-token text out of the input before tokenization, as
// llama.cpp's `tokenizer_st_partition` does: special tokens are tried longest
// first (ties: lower id first); each one cuts every occurrence out of every
// remaining text fragment. Control and unknown tokens take part only when the
// caller asks for `parseSpecial`; user-defined tokens always do (as in
// huggingface/tokenizers, where added tokens are split before the model runs).

/// A piece of the input: raw text still to tokenize, or an already-known token.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// The special tokens of a vocabulary, ordered for matching.
struct SpecialTokenSplitter: Sendable {
    private struct Entry: Sendable {
        var id: Int32
        var text: [UInt8]
        var alwaysParsed: Bool
    }

    private var entries: [Entry] = []

    init(table: TokenTable) {
        for id in 0..<table.count where Self.isSpecial(table.types[id]) {
            entries.append(Entry(id: Int32(id), text: table.texts[id], alwaysParsed: table.types[id] == .userDefined))
        }
        entries.sort { Self.precedes($0, $1) }
    }

    private static func isSpecial(_ type: TokenType) -> Bool {
        type == .control || type == .userDefined || type == .unknown
    }

    /// Longest text first; equal lengths by id.
    private static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.text.count > b.text.count || (a.text.count == b.text.count && a.id < b.id)
    }

    /// Registers a token if its type makes it special; keeps the longest-first order.
    mutating func add(id: Int32, text: [UInt8], type: TokenType) {
        guard Self.isSpecial(type) else { return }
        let entry = Entry(id: id, text: text, alwaysParsed: type == .userDefined)
        let index = entries.firstIndex { Self.precedes(entry, $0) }
        entries.insert(entry, at: index ?? entries.endIndex)
    }

    /// Splits `bytes` into text fragments and special tokens.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for entry in entries where (parseSpecial || entry.alwaysParsed) && !entry.text.isEmpty {
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            var changed = false
            for fragment in fragments {
                guard case let .text(range) = fragment else { next.append(fragment); continue }
                var start = range.lowerBound
                while let match = Self.find(entry.text, in: bytes, from: start, to: range.upperBound) {
                    if match > start { next.append(.text(start..<match)) }
                    next.append(.token(entry.id))
                    start = match + entry.text.count
                    changed = true
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = next }
        }
        return fragments
    }

    /// First occurrence of `needle` in `haystack[from..<to]`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, to: Int) -> Int? {
        let n = needle.count
        guard n > 0, to - from >= n else { return nil }
        let first = needle[0]
        var i = from
        let last = to - n
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < n && haystack[i + k] == needle[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }
}
