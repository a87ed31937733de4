// Reading (optionally) gzip-compressed files through zlib. zlib's gz* API reads
// plain files transparently, so every dataset reader accepts `.json` and
// `.json.gz` alike without sniffing names. Truncated or corrupt streams are
// reported (gzerror) instead of silently yielding a short file.
import CZlib
import Foundation

/// zlib-backed file reading: whole files or streamed lines, compressed or not.
public enum Gzip {
    /// Reads a whole file, decompressing it if it is gzip (detected by zlib, not by name).
    public static func readAll(path: String) throws -> Data {
        var out = Data()
        try forEachChunk(path: path) { chunk in out.append(chunk) }
        return out
    }

    /// Streams a file's lines (split on `\n`; a trailing `\r` is dropped) with
    /// 1-based line numbers. The bytes passed to `body` are valid only during the call.
    public static func forEachLine(path: String, _ body: (_ lineNumber: Int, _ line: UnsafeRawBufferPointer) throws -> Void) throws {
        var carry: [UInt8] = []
        var lineNumber = 0
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            lineNumber += 1
            var n = bytes.count
            if n > 0 && bytes[n - 1] == 13 { n -= 1 }
            try body(lineNumber, UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
        }
        try forEachChunk(path: path) { chunk in
            try chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var start = 0
                for i in 0..<raw.count where raw[i] == 10 {
                    if carry.isEmpty {
                        try emit(UnsafeRawBufferPointer(rebasing: raw[start..<i]))
                    } else {
                        carry.append(contentsOf: raw[start..<i])
                        try carry.withUnsafeBytes { try emit($0) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start = i + 1
                }
                if start < raw.count { carry.append(contentsOf: raw[start..<raw.count]) }
            }
        }
        if !carry.isEmpty { try carry.withUnsafeBytes { try emit($0) } }
    }

    /// Streams decompressed chunks of up to 1 MiB.
    public static func forEachChunk(path: String, _ body: (Data) throws -> Void) throws {
        guard FileManager.default.isReadableFile(atPath: path), let file = gzopen(path, "rb") else {
            throw SupportError.cannotOpen(path: path)
        }
        defer { gzclose(file) }
        let size = 1 << 20
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(size)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "error \(code)"
                throw SupportError.corruptGzip(path: path, message: message)
            }
            if n == 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? ""
                if code != Z_OK && code != Z_STREAM_END {
                    throw SupportError.corruptGzip(path: path, message: message)
                }
                return
            }
            try body(Data(buffer[0..<Int(n)]))
        }
    }

    /// Writes `data` gzip-compressed (level 9) to `path`, atomically.
    public static func write(_ data: Data, to path: String) throws {
        var compressed = Data()
        try deflateGzip(data) { compressed.append($0) }
        try AtomicFile.write(compressed, to: path)
    }

    /// Compresses `data` into a gzip stream (RFC 1952 via zlib's windowBits 31).
    static func deflateGzip(_ data: Data, _ sink: (Data) -> Void) throws {
        var stream = z_stream()
        guard deflateInit2_(&stream, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SupportError.corruptGzip(path: "<memory>", message: "deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = [UInt8](repeating: 0, count: 1 << 16)
        try input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    return deflate(&stream, Z_FINISH)
                }
                let produced = output.count - Int(stream.avail_out)
                if produced > 0 { sink(Data(output[0..<produced])) }
                if status == Z_STREAM_END { return }
                if status != Z_OK && status != Z_BUF_ERROR {
                    throw SupportError.corruptGzip(path: "<memory>", message: "deflate returned \(status)")
                }
            }
        }
    }
}
