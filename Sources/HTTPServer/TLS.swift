// TLS through OpenSSL (libssl): one server context from PEM files, and a non-blocking
// transport per accepted connection. TLS 1.2 is the floor. The handshake is driven by the
// event loop like any other I/O, under the read timeout, so a stalled handshake costs
// only its socket.
import COpenSSL
import Foundation

final class TLSContext: @unchecked Sendable {
    // SSL_CTX is internally reference-counted and thread-safe for SSL_new once configured,
    // which is why this wrapper is @unchecked Sendable: it is never mutated after init.
    let ctx: OpaquePointer

    init(files: TLSFiles) throws {
        OPENSSL_init_ssl(0, nil)
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw HTTPServerError.tlsSetupFailed(TLSContext.lastError()) }
        self.ctx = ctx
        // SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are macros over SSL_CTX_ctrl
        // (123 = SSL_CTRL_SET_MIN_PROTO_VERSION, 33 = SSL_CTRL_MODE).
        _ = SSL_CTX_ctrl(ctx, 123, Int(TLS1_2_VERSION), nil)
        // Partial writes, and a retried write may come from a different address: the
        // connection's output buffer is a Swift array that can move between attempts.
        _ = SSL_CTX_ctrl(ctx, 33, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
        guard SSL_CTX_use_certificate_chain_file(ctx, files.certificateChain) == 1 else {
            throw HTTPServerError.tlsSetupFailed("certificate \(files.certificateChain): \(TLSContext.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, files.privateKey, SSL_FILETYPE_PEM) == 1 else {
            throw HTTPServerError.tlsSetupFailed("private key \(files.privateKey): \(TLSContext.lastError())")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw HTTPServerError.tlsSetupFailed("the private key does not match the certificate")
        }
    }

    deinit { SSL_CTX_free(ctx) }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buf, buf.count)
        return cString(buf)
    }

    /// A transport over an accepted non-blocking socket; its handshake has not run yet.
    func transport(fd: Int32) -> TLSTransport? {
        guard let ssl = SSL_new(ctx) else { return nil }
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
        return TLSTransport(fd: fd, ssl: ssl)
    }
}

final class TLSTransport: Transport {
    let fd: Int32
    private let ssl: OpaquePointer
    private var handshakeDone = false

    init(fd: Int32, ssl: OpaquePointer) {
        self.fd = fd
        self.ssl = ssl
    }

    func handshake() -> HandshakeStep {
        if handshakeDone { return .done }
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            handshakeDone = true
            return .done
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsWrite: true)
        default:
            ERR_clear_error()
            return .failed
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TransportIO {
        errno = 0  // so that SSL_ERROR_SYSCALL with errno 0 reliably means a bare FIN
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n > 0 { return .moved(Int(n)) }
        return outcome(of: n)
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> TransportIO {
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        if n > 0 { return .moved(Int(n)) }
        return outcome(of: n)
    }

    private func outcome(of rc: Int32) -> TransportIO {
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsWrite: true)
        case SSL_ERROR_ZERO_RETURN: return .endOfStream
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0 && errno == 0:
            // The peer closed the TCP stream without close_notify: a FIN, not a failure.
            return .endOfStream
        default:
            ERR_clear_error()
            return .failed
        }
    }

    var hasBufferedBytes: Bool { SSL_pending(ssl) > 0 }

    func close() {
        if handshakeDone { SSL_shutdown(ssl) }
        SSL_free(ssl)
        Glibc.close(fd)
    }
}
