// Byte-level BPE with ranked merges, as llama.cpp runs it
// (llama-vocab.cpp `llm_tokenizer_bpe_session`): each pre-tokenized piece starts
// as one symbol per byte (one byte-level character each); the adjacent pair with
// the lowest merge rank is merged (ties: leftmost), repeatedly, until no pair
// has a rank. Each final symbol is written as its token.
//
// Symbols are identified by interned ids instead of strings: a vocabulary token
// keeps its token id, and a merge result that is not a vocabulary token gets a
// negative id. `merges[(left, right)]` then gives the rank and the result in one
// hash lookup. The work queue is a heap with lazy deletion: a popped pair whose
// symbols no longer hold the recorded ids is stale and skipped, equivalent to
// llama.cpp's comparison of the pair's text.

/// The merge table of a byte-level BPE vocabulary, built once per tokenizer.
struct BytePairModel: Sendable {
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// (left id, right id) packed into 64 bits -> merge.
    private var merges: [UInt64: Merge] = [:]
    /// Byte-level text of each non-vocabulary symbol (id -1 - index).
    private var extraTexts: [[UInt8]] = []
    private var extraIDs: [ByteKey: Int32] = [:]
    /// The token id an extra symbol resolves to once a token with its text is added (or -1).
    private var extraTokens: [Int32] = []
    /// Symbol id of each raw byte's byte-level character.
    private(set) var byteSymbols: [Int32] = []
    /// Token id of the one-byte string `[b]` (-1 if none), llama.cpp's last-resort fallback.
    private(set) var singleByteTokens: [Int32] = []

    var mergeCount: Int { merges.count }

    init(merges mergeLines: [String], table: TokenTable) throws {
        merges.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            let bytes = Array(line.utf8)
            // llama.cpp splits at the first space after position 0, so a merge may start with a space.
            guard bytes.count > 1, let space = bytes[1...].firstIndex(of: 0x20) else { continue }
            let left = bytes[..<space], right = bytes[(space + 1)...]
            guard !right.isEmpty else { continue }
            let l = intern(left, table), r = intern(right, table)
            let result = intern(bytes[..<space] + bytes[(space + 1)...], table)
            let key = Self.key(l, r)
            if merges[key] == nil { merges[key] = Merge(rank: Int32(rank), result: result) }
        }
        byteSymbols = (0..<256).map { intern(ByteLevel.utf8[$0][...], table) }
        singleByteTokens = (0..<256).map { table.id(of: [UInt8($0)][...]) ?? -1 }
    }

    private mutating func intern(_ text: ArraySlice<UInt8>, _ table: TokenTable) -> Int32 {
        if let id = table.id(of: text) { return id }
        if let id = extraIDs[ByteKey(text)] { return id }
        let id = -1 - Int32(extraTexts.count)
        extraTexts.append(Array(text))
        extraIDs[ByteKey(extraTexts[extraTexts.count - 1][...])] = id
        extraTokens.append(-1)
        return id
    }

    /// Called when a token is appended to the vocabulary: a merge result with the
    /// same text now resolves to that token, as a string lookup would.
    mutating func tokenAdded(text: [UInt8], id: Int32) {
        if let extra = extraIDs[ByteKey(text[...])] { extraTokens[Int(-1 - extra)] = id }
    }

    @inline(__always)
    static func key(_ l: Int32, _ r: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
    }

    @inline(__always)
    func merge(_ l: Int32, _ r: Int32) -> Merge? { merges[Self.key(l, r)] }

    /// Appends the token(s) for a final symbol.
    func emit(symbol: Int32, into output: inout [Int32]) {
        if symbol >= 0 { output.append(symbol); return }
        let extra = Int(-1 - symbol)
        if extraTokens[extra] >= 0 { output.append(extraTokens[extra]); return }
        // Not a token: llama.cpp looks up each byte of the symbol's text alone.
        for b in extraTexts[extra] where singleByteTokens[Int(b)] >= 0 {
            output.append(singleByteTokens[Int(b)])
        }
    }
}

enum BytePairEncoder {
    private struct Symbol {
        var id: Int32
        var prev: Int32
        var next: Int32
        var alive: Bool
    }

    private struct Candidate: Comparable {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftID: Int32
        var rightID: Int32
        /// Lowest rank first, then leftmost.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
        }
    }

    /// Encodes one pre-tokenized piece given as raw bytes.
    static func encode(piece: ArraySlice<UInt8>, model: BytePairModel, table: TokenTable,
                       ignoreMerges: Bool, into output: inout [Int32]) {
        guard !piece.isEmpty else { return }
        if ignoreMerges, let id = table.id(of: ByteLevel.encode(piece)[...]) {
            output.append(id)
            return
        }
        if piece.count == 1 {
            model.emit(symbol: model.byteSymbols[Int(piece[piece.startIndex])], into: &output)
            return
        }
        var symbols: [Symbol] = []
        symbols.reserveCapacity(piece.count)
        for (i, b) in piece.enumerated() {
            symbols.append(Symbol(id: model.byteSymbols[Int(b)], prev: Int32(i) - 1,
                                  next: i + 1 == piece.count ? -1 : Int32(i) + 1, alive: true))
        }
        var queue = BinaryHeap<Candidate>(capacity: symbols.count)
        func tryAdd(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[Int(left)].id, r = symbols[Int(right)].id
            guard let m = model.merge(l, r) else { return }
            queue.push(Candidate(rank: m.rank, left: left, right: right, leftID: l, rightID: r))
        }
        for i in 1..<symbols.count { tryAdd(Int32(i - 1), Int32(i)) }

        while let best = queue.pop() {
            let l = symbols[Int(best.left)], r = symbols[Int(best.right)]
            guard l.alive, r.alive, l.id == best.leftID, r.id == best.rightID,
                  let m = model.merge(l.id, r.id) else { continue }
            symbols[Int(best.left)].id = m.result
            symbols[Int(best.left)].next = r.next
            symbols[Int(best.right)].alive = false
            if r.next >= 0 { symbols[Int(r.next)].prev = best.left }
            tryAdd(l.prev, best.left)
            tryAdd(best.left, r.next)
        }

        var i: Int32 = 0
        while i != -1 {
            model.emit(symbol: symbols[Int(i)].id, into: &output)
            i = symbols[Int(i)].next
        }
    }
}
