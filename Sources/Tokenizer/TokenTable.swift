// Token text <-> id lookup shared by the encoders and the decoder. Texts are kept
// as raw UTF-8 bytes and looked up by byte slices: Swift `String` equality is
// Unicode canonical equivalence, which would merge distinct vocabulary entries
// (precomposed "é" and "e" + U+0301) that llama.cpp keeps apart.

/// The vocabulary as bytes, with its byte-keyed reverse index.
struct TokenTable: Sendable {
    private(set) var texts: [[UInt8]] = []
    private(set) var types: [TokenType] = []
    private(set) var scores: [Float] = []
    private var ids: [ByteKey: Int32] = [:]

    var count: Int { texts.count }

    /// Builds the table; empty texts become "[EMPTY_<id>]" as in llama.cpp.
    init(tokens: [String], types: [TokenType], scores: [Float]) throws {
        texts.reserveCapacity(tokens.count)
        ids.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            let type = i < types.count ? types[i] : .normal
            let score = i < scores.count ? scores[i] : 0
            try append(Array(token.isEmpty ? "[EMPTY_\(i)]".utf8 : token.utf8), type: type, score: score)
        }
    }

    /// Appends a token; throws when its text is already present.
    mutating func append(_ text: [UInt8], type: TokenType, score: Float) throws {
        let id = Int32(texts.count)
        if let existing = ids[ByteKey(text[...])] {
            throw TokenizerError.duplicateToken(text: String(decoding: text, as: UTF8.self),
                                                firstID: Int(existing), secondID: Int(id))
        }
        ids[ByteKey(text[...])] = id
        texts.append(text)
        types.append(type)
        scores.append(score)
    }

    @inline(__always)
    func id(of text: ArraySlice<UInt8>) -> Int32? { ids[ByteKey(text)] }
}
