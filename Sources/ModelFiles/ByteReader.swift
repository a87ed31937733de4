// A bounds-checked little-endian cursor over a byte buffer. Every read names the
// field it is reading so that a short file reports which field was cut and where.
// Lengths read from the file are checked against the bytes that remain *before*
// anything is allocated from them.

struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    func need(_ n: Int, _ field: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw ModelFilesError.truncated(field: field(), offset: offset, needed: UInt64(max(n, 0)), available: remaining)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, field())
        guard let base = bytes.baseAddress else {
            throw ModelFilesError.truncated(field: field(), offset: offset, needed: UInt64(MemoryLayout<T>.size), available: 0)
        }
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    mutating func readFloat(_ field: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field()))
    }

    mutating func readDouble(_ field: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field()))
    }

    /// A GGUF string: u64 length + bytes, validated as UTF-8.
    mutating func readString(_ field: @autoclosure () -> String) throws -> String {
        let at = offset
        let length = try read(UInt64.self, field())
        guard length <= UInt64(remaining) else {
            throw ModelFilesError.stringPastEnd(field: field(), length: length, offset: at, available: remaining)
        }
        let n = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n])
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw ModelFilesError.invalidUTF8(field: field(), offset: at)
        }
        offset += n
        return s
    }

    mutating func skip(_ n: Int, _ field: @autoclosure () -> String) throws {
        try need(n, field())
        offset += n
    }
}
