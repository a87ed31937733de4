// A dictionary key over a byte slice that hashes and compares the bytes in bulk.
// `ArraySlice<UInt8>`'s own Hashable conformance feeds the hasher one byte at a
// time and compares element by element, which made token lookups the largest
// cost of SentencePiece encoding.

struct ByteKey: Hashable, Sendable {
    let bytes: ArraySlice<UInt8>

    @inline(__always)
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        guard a.bytes.count == b.bytes.count else { return false }
        return a.bytes.withUnsafeBytes { pa in
            b.bytes.withUnsafeBytes { pb in
                var i = 0
                let n = pa.count
                while i + 8 <= n {
                    if pa.loadUnaligned(fromByteOffset: i, as: UInt64.self) != pb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                        return false
                    }
                    i += 8
                }
                while i < n {
                    if pa[i] != pb[i] { return false }
                    i += 1
                }
                return true
            }
        }
    }
}
