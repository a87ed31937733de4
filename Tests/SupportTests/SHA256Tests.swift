// SHA-256 against the FIPS 180-4 / NIST example vectors (also reproduced with Python's hashlib).
import Foundation
import Testing
@testable import Support

@Suite("SHA-256")
struct SHA256Tests {
    @Test("matches the NIST vectors for empty, 'abc' and the 448-bit message")
    func knownVectors() {
        #expect(SHA256.hex(of: Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(of: Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("one million 'a' fed in uneven chunks equals the NIST long-message digest")
    func streamingChunks() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(chunk.count - (fed % 7), 1_000_000 - fed)
            hasher.update(Array(chunk[0..<n]))
            fed += n
        }
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("hashing a file equals hashing its bytes; a missing file is a typed error")
    func fileHash() throws {
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString).bin"
        let data = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SHA256.hex(ofFile: path) == SHA256.hex(of: data))
        #expect(throws: SupportError.cannotOpen(path: path + ".missing")) { try SHA256.hex(ofFile: path + ".missing") }
    }
}
