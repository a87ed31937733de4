// A raw-socket HTTP/1.1 test client: writes exact bytes and reads responses framed by
// Content-Length, so tests see exactly what the server put on the wire.
import Foundation
@testable import HTTPServer

struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var text: String { String(decoding: body, as: UTF8.self) }
}

final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw HTTPServerError.socketFailed(call: "connect", errno: errno) }
        Socket.setTimeouts(fd, read: 5, write: 5)
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Ends the sending side (a FIN); the client can still read.
    func halfClose() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Makes the eventual close a reset (RST) instead of a FIN: the connection is really gone.
    func resetOnClose() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }
    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Socket.sendAll(fd, $0) } }

    /// Reads more bytes; false on EOF or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0 ..< n]
        return true
    }

    /// Reads one response (nil if the connection closed first), off the cooperative pool.
    func readResponse() async -> RawResponse? {
        let box = UncheckedBox(self)
        return await offPool { box.value.readResponseBlocking() }
    }

    /// True if the server closed the connection (EOF) within `seconds`.
    func closedByPeer(within seconds: Double = 2) async -> Bool {
        let box = UncheckedBox(self)
        return await offPool { box.value.closedByPeerBlocking(within: seconds) }
    }

    /// Raw recv of up to `max` bytes, off the cooperative pool.
    func receive(max: Int) async -> [UInt8] {
        let fd = self.fd
        return await offPool {
            var b = [UInt8](repeating: 0, count: max)
            let n = recv(fd, &b, b.count, 0)
            return Array(b[0 ..< Swift.max(n, 0)])
        }
    }

    private func readResponseBlocking() -> RawResponse? {
        var headEnd: Int?
        while headEnd == nil {
            if let r = findCRLFCRLF() { headEnd = r; break }
            guard fill() else { return nil }
        }
        let head = String(decoding: buffer[0 ..< headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { l -> (String, String)? in
            guard let c = l.firstIndex(of: ":") else { return nil }
            return (String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces))
        }
        buffer.removeFirst(headEnd! + 4)
        if status == 100 { return readResponseBlocking() }
        let length = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        while buffer.count < length { guard fill() else { return nil } }
        let body = Array(buffer[0 ..< length])
        buffer.removeFirst(length)
        return RawResponse(status: status, headers: headers, body: body)
    }

    private func closedByPeerBlocking(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard Socket.poll(fd, events: Int16(POLLIN), timeoutMs: 50) != 0 else { continue }
            var b = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &b, b.count, 0)
            if n <= 0 { return true }
            buffer += b[0 ..< n]
        }
        return false
    }

    private func findCRLFCRLF() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0 ... buffer.count - 4 where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}

/// Runs blocking work on its own thread so test tasks never block Swift's cooperative
/// pool (two threads here): a blocked pool would stall every other test in the process.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        let t = Thread { c.resume(returning: body()) }
        t.start()
    }
}

/// Hands a test-owned, single-user object to `offPool` (the test awaits the result, so
/// there is never concurrent use).
struct UncheckedBox<T>: @unchecked Sendable { let value: T; init(_ v: T) { value = v } }
