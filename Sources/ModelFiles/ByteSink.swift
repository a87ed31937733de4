// Little-endian encoder used by the GGUF and safetensors writers.

struct ByteSink {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ f: Float) { append(f.bitPattern) }
    mutating func append(_ d: Double) { append(d.bitPattern) }

    /// GGUF string: u64 byte length + UTF-8 bytes.
    mutating func appendGGUFString(_ s: String) {
        let utf8 = Array(s.utf8)
        append(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func pad(to alignment: Int) {
        let n = (alignment - bytes.count % alignment) % alignment
        bytes.append(contentsOf: repeatElement(0, count: n))
    }
}
