// Gzip reading through zlib: round trip through our writer and through the
// system `gzip` tool's format, transparent plain files, line splitting across
// chunk boundaries, and a truncated stream reported as an error.
import Foundation
import Testing
@testable import Support

@Suite("Gzip")
struct GzipTests {
    func tempPath(_ name: String) -> String { NSTemporaryDirectory() + "gz-\(UUID().uuidString)-\(name)" }

    @Test("a gzip file written by zlib reads back byte for byte")
    func roundTrip() throws {
        let path = tempPath("a.gz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = (0..<50_000).map { "line \($0) ünïcödé" }.joined(separator: "\n")
        try Gzip.write(Data(text.utf8), to: path)
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw.prefix(2) == Data([0x1f, 0x8b]))
        #expect(raw.count < text.utf8.count / 3)
        #expect(try Gzip.readAll(path: path) == Data(text.utf8))
    }

    @Test("plain files are read transparently and lines keep their numbers across chunk boundaries")
    func plainLines() throws {
        let path = tempPath("plain.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Long lines force the 1 MiB chunk boundary to fall inside a line.
        let lines = (0..<3000).map { String(repeating: Character(UnicodeScalar(97 + $0 % 26)!), count: 700 + $0 % 13) }
        try Data((lines.joined(separator: "\r\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        var seen: [(Int, String)] = []
        try Gzip.forEachLine(path: path) { n, bytes in seen.append((n, String(decoding: bytes, as: UTF8.self))) }
        #expect(seen.count == lines.count)
        #expect(seen.map(\.1) == lines)
        #expect(seen.last?.0 == 3000)
    }

    @Test("a truncated gzip stream is an error naming the file, not a short read")
    func truncated() throws {
        let path = tempPath("t.gz")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = [UInt8](repeating: 0, count: 100_000)
        var rng = SplitMix64(seed: 1)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
        try Gzip.write(Data(bytes), to: path)
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: SupportError.self) { _ = try Gzip.readAll(path: path) }
        #expect(throws: SupportError.cannotOpen(path: path + "x")) { _ = try Gzip.readAll(path: path + "x") }
    }
}
