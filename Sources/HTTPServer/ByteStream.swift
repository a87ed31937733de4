// The byte transport under one connection: plain TCP or TLS. The connection loop only
// sees read/write/close, so keep-alive, pipelining and timeouts work the same for both.
import Foundation

protocol ByteStream: AnyObject {
    var fd: Int32 { get }
    /// Reads up to `max` bytes; returns [] on EOF, nil on error or timeout.
    func read(max: Int) -> [UInt8]?
    /// Writes every byte or returns false.
    func write(_ bytes: [UInt8]) -> Bool
    /// Whether decrypted bytes are already buffered (poll would not see them).
    var hasBufferedBytes: Bool { get }
    func close()
}

final class PlainStream: ByteStream {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func read(max: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            let n = recv(fd, &buf, max, 0)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            return Array(buf[0 ..< n])
        }
    }

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Socket.sendAll(fd, $0) }
    }

    var hasBufferedBytes: Bool { false }

    func close() { Glibc.close(fd) }
}
