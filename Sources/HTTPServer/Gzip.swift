// gzip (RFC 1952) through zlib: deflate with windowBits 15+16 writes the gzip wrapper.
// Used for response bodies when the client sends `Accept-Encoding: gzip` (RFC 9110 §8.4).
import CZlib

public enum Gzip {
    /// gzip-compresses `input` in one shot.
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        var rc = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw HTTPServerError.compressionFailed(code: rc) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                rc = deflate(&stream, Z_FINISH)
                return outBuf.count - Int(stream.avail_out)
            }
        }
        guard rc == Z_STREAM_END else { throw HTTPServerError.compressionFailed(code: rc) }
        return Array(output[0 ..< produced])
    }

    /// Decompresses a gzip stream (used by tests and clients).
    public static func decompress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        var rc = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw HTTPServerError.compressionFailed(code: rc) }
        defer { inflateEnd(&stream) }
        var input = input
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        try input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                let n: Int = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return outBuf.count - Int(stream.avail_out)
                }
                guard rc == Z_OK || rc == Z_STREAM_END else { throw HTTPServerError.compressionFailed(code: rc) }
                result.append(contentsOf: chunk[0 ..< n])
                if rc == Z_OK && n == 0 && stream.avail_in == 0 { throw HTTPServerError.compressionFailed(code: Z_BUF_ERROR) }
            } while rc != Z_STREAM_END
        }
        return result
    }

    /// Whether an `Accept-Encoding` list accepts gzip (q > 0).
    public static func accepted(_ acceptEncoding: [String]) -> Bool {
        for item in acceptEncoding {
            let parts = item.split(separator: ";").map { $0.trimmingSpaces }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { return true }
        }
        return false
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
