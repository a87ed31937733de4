// TLS through OpenSSL (libssl): one server context from PEM files, and a ByteStream per
// accepted connection. TLS 1.2 is the floor. The handshake runs on the connection's
// own thread, under the socket's read timeout, so a stalled handshake only costs its thread.
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
        // SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl (123 = SSL_CTRL_SET_MIN_PROTO_VERSION).
        _ = SSL_CTX_ctrl(ctx, 123, Int(TLS1_2_VERSION), nil)
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

    /// Wraps an accepted socket and runs the server handshake; nil if it fails.
    func accept(fd: Int32) -> TLSStream? {
        guard let ssl = SSL_new(ctx) else { return nil }
        SSL_set_fd(ssl, fd)
        guard SSL_accept(ssl) == 1 else {
            SSL_free(ssl)
            return nil
        }
        return TLSStream(fd: fd, ssl: ssl)
    }
}

final class TLSStream: ByteStream {
    let fd: Int32
    private let ssl: OpaquePointer

    init(fd: Int32, ssl: OpaquePointer) {
        self.fd = fd
        self.ssl = ssl
    }

    func read(max: Int) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        let n = SSL_read(ssl, &buf, Int32(max))
        if n > 0 { return Array(buf[0 ..< Int(n)]) }
        let err = SSL_get_error(ssl, n)
        if err == SSL_ERROR_ZERO_RETURN { return [] }
        return nil
    }

    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress! + offset, Int32(bytes.count - offset)) }
            if n <= 0 { return false }
            offset += Int(n)
        }
        return true
    }

    var hasBufferedBytes: Bool { SSL_pending(ssl) > 0 }

    func close() {
        SSL_shutdown(ssl)
        SSL_free(ssl)
        Glibc.close(fd)
    }
}
