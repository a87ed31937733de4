// SentencePiece BPE as llama.cpp runs it (llama-vocab.cpp `llm_tokenizer_spm_session`):
// the text (spaces already replaced by U+2581 "▁") is split into UTF-8
// characters; every adjacent pair whose concatenation is a vocabulary token is a
// merge candidate ranked by that token's score (higher first; ties go to the
// leftmost pair). The best candidate is merged and its new neighbours become
// candidates, until none is left. A final piece that is not a token is written
// as byte tokens <0xXX> (byte fallback).
//
// Symbols form a doubly linked list over the text buffer; the work queue is a
// heap with lazy deletion: a popped candidate whose symbols have changed size is
// stale and skipped, the same validity test llama.cpp uses.

enum SentencePieceEncoder {
    private struct Symbol {
        var start: Int32
        var count: Int32
        var prev: Int32
        var next: Int32
    }

    private struct Candidate: Comparable {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        /// Higher score first, then leftmost.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    /// Tokenizes escaped text and appends the ids to `output`.
    /// `byteTokens[b]` is the id written for byte `b` when a piece is not a token
    /// (negative: no such token, the byte is dropped).
    static func encode(_ text: [UInt8], table: TokenTable, byteTokens: [Int32], into output: inout [Int32]) {
        guard !text.isEmpty else { return }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let length = min(LenientUTF8.sequenceLength(text[offset]), text.count - offset)
            let index = Int32(symbols.count)
            symbols.append(Symbol(start: Int32(offset), count: Int32(length), prev: index - 1,
                                  next: offset + length == text.count ? -1 : index + 1))
            offset += length
        }

        var queue = BinaryHeap<Candidate>(capacity: symbols.count)
        func tryAdd(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[Int(left)], r = symbols[Int(right)]
            let start = Int(l.start)
            let size = Int(l.count + r.count)
            guard let id = table.id(of: text[start..<(start + size)]) else { return }
            queue.push(Candidate(score: table.scores[Int(id)], left: left, right: right, size: Int32(size)))
        }
        for i in 1..<max(symbols.count, 1) { tryAdd(Int32(i - 1), Int32(i)) }

        while let best = queue.pop() {
            let l = symbols[Int(best.left)], r = symbols[Int(best.right)]
            if l.count == 0 || r.count == 0 || l.count + r.count != best.size { continue }
            symbols[Int(best.left)].count += r.count
            symbols[Int(best.right)].count = 0
            symbols[Int(best.left)].next = r.next
            if r.next >= 0 { symbols[Int(r.next)].prev = best.left }
            tryAdd(symbols[Int(best.left)].prev, best.left)
            tryAdd(best.left, symbols[Int(best.left)].next)
        }

        var i: Int32 = 0
        while i != -1 {
            let s = symbols[Int(i)]
            let piece = text[Int(s.start)..<Int(s.start + s.count)]
            if let id = table.id(of: piece) {
                output.append(id)
            } else {
                // llama.cpp's `resegment` would first try to split via recorded merges,
                // but a merge is only recorded when its text is a token, so a piece
                // that is not a token always falls back to bytes.
                for b in piece where byteTokens[Int(b)] >= 0 {
                    output.append(byteTokens[Int(b)])
                }
            }
            i = s.next
        }
    }
}
