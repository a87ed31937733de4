// SequenceBatch: how B sequences are laid out in the (B·T) token rows the ops work on.
//
// Every sequence occupies T = paddedLength rows; its real tokens are rows start..<start+length
// (left padding: start = T − length; right padding: start = 0). Padding rows are never attended
// to, their attention output is zero, and nothing flows back into them.

/// The padded layout of a batch of variable-length sequences.
public struct SequenceBatch: Sendable, Equatable {
    /// B
    public let batch: Int
    /// T, rows per sequence
    public let paddedLength: Int
    /// First valid row of each sequence, relative to the sequence's first row.
    public let starts: [Int]
    /// Valid rows of each sequence.
    public let lengths: [Int]

    public init(paddedLength: Int, starts: [Int], lengths: [Int]) throws {
        guard starts.count == lengths.count else {
            throw TrainingOpsError.sizeMismatch(what: "SequenceBatch.starts", expected: lengths.count, found: starts.count)
        }
        for b in 0..<starts.count where starts[b] < 0 || lengths[b] < 0 || starts[b] + lengths[b] > paddedLength {
            throw TrainingOpsError.badSequenceRange(sequence: b, start: starts[b], length: lengths[b], padded: paddedLength)
        }
        self.batch = starts.count
        self.paddedLength = paddedLength
        self.starts = starts
        self.lengths = lengths
    }

    /// Left-padded layout (HF's `padding_side="left"`): each sequence ends on the last row.
    public static func leftPadded(lengths: [Int], paddedLength: Int? = nil) throws -> SequenceBatch {
        let t = paddedLength ?? (lengths.max() ?? 0)
        return try SequenceBatch(paddedLength: t, starts: lengths.map { t - $0 }, lengths: lengths)
    }

    /// B·T rows.
    public var tokenCount: Int { batch * paddedLength }

    /// (B·T) position of each row inside its sequence (0 on padding rows), for RoPE.
    public func positions() -> [Int32] {
        var p = [Int32](repeating: 0, count: tokenCount)
        for b in 0..<batch {
            for t in 0..<lengths[b] { p[b * paddedLength + starts[b] + t] = Int32(t) }
        }
        return p
    }

    /// Whether a row holds a real token.
    public func isValid(row: Int) -> Bool {
        let b = row / paddedLength, t = row % paddedLength
        return t >= starts[b] && t < starts[b] + lengths[b]
    }
}
