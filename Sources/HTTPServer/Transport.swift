// The byte transport under one connection: plain TCP or TLS, always non-blocking. The
// connection state machine sees only handshake/read/write/close and "would block", so
// keep-alive, pipelining, half-close and timeouts behave the same over both.
import Foundation

/// What one non-blocking read or write did.
enum TransportIO: Equatable {
    /// Moved this many bytes (> 0).
    case moved(Int)
    /// Nothing now; retry when the socket is readable (`wantsWrite` false) or writable (true).
    case wouldBlock(wantsWrite: Bool)
    /// The peer finished sending (FIN, or TLS close_notify). Only reads report this.
    case endOfStream
    /// The connection is unusable: a reset, or any other error.
    case failed
}

/// One step of the TLS server handshake; plain TCP is `.done` at once.
enum HandshakeStep: Equatable {
    case done
    case wouldBlock(wantsWrite: Bool)
    case failed
}

protocol Transport: AnyObject {
    var fd: Int32 { get }
    func handshake() -> HandshakeStep
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO
    func write(_ bytes: UnsafeRawBufferPointer) -> TransportIO
    /// Whether decrypted bytes wait inside the transport, where epoll cannot see them.
    var hasBufferedBytes: Bool { get }
    func close()
}

final class PlainTransport: Transport {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func handshake() -> HandshakeStep { .done }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .moved(n) }
            if n == 0 { return .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsWrite: false)
            default: return .failed
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        while true {
            let n = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return n == 0 ? .wouldBlock(wantsWrite: true) : .moved(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsWrite: true)
            default: return .failed
            }
        }
    }

    var hasBufferedBytes: Bool { false }

    func close() { Glibc.close(fd) }
}
