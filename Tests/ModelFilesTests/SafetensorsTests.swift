// safetensors: reading a file written by the python reference package, a writer
// whose output the reference package reads back (Tools/modelfiles_safetensors_golden.py
// verifies the committed swift-written.safetensors), and one crafted file per
// strict validation rule (docs/model-files.md).
import Foundation
import Testing
@testable import ModelFiles

@Suite("safetensors")
struct SafetensorsTests {
    static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
        let h = Array(header.utf8)
        return Data(RawGGUF.le(length ?? UInt64(h.count)) + h + data)
    }

    private func error(_ data: Data) -> ModelFilesError? {
        do {
            _ = try SafetensorsFile(data: data)
            return nil
        } catch let e as ModelFilesError {
            return e
        } catch {
            return nil
        }
    }

    @Test("reads every tensor of a file written by python safetensors, values equal to the golden")
    func readsPythonFile() throws {
        let f = try SafetensorsFile(path: ModelFixtures.fixtures + "/python-written.safetensors")
        let golden = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: ModelFixtures.fixtures + "/python-written.json"))) as? [String: Any]
        let tensors = try #require(golden?["tensors"] as? [String: [String: Any]])
        #expect(Set(f.tensorNames) == Set(tensors.keys))
        #expect(f.metadata == ["format": "pt", "source": "python safetensors"])
        #expect(f.dataOffset % 8 == 0)
        for (name, g) in tensors {
            let info = try #require(f.tensor(named: name))
            #expect(info.dtype.rawValue == g["dtype"] as? String, "\(name)")
            #expect(info.shape == g["shape"] as? [Int], "\(name)")
            let expected = (g["values"] as? [Double] ?? []).map(Float.init)
            #expect(try f.floats(named: name) == expected, "\(name)")
        }
        #expect(f.tensor(named: "scalar")?.shape == [])
        #expect(f.tensor(named: "empty")?.byteCount == 0)
    }

    @Test("writer output equals the committed fixture that python safetensors verified")
    func writerMatchesFixture() throws {
        var w = SafetensorsWriter(metadata: ["format": "pt", "hdrec": "test \"quoted\" é"])
        try w.add(name: "w", floats: [0.5, -1.25, 3, 1e-3, -7, 65504], shape: [2, 3])
        try w.add(name: "h", floats: [1, -2.5, 0.1, 1000], shape: [4], as: .f16)
        try w.add(name: "b", floats: [1, 3.14159, -0.001], shape: [3], as: .bf16)
        try w.add(name: "n", dtype: .i32, shape: [2], bytes: RawGGUF.le(Int32(1)) + RawGGUF.le(Int32(-2)))
        try w.add(name: "z", floats: [], shape: [0])
        let bytes = w.serialized()
        let path = ModelFixtures.fixtures + "/swift-written.safetensors"
        if ProcessInfo.processInfo.environment["HDREC_REGENERATE_FIXTURES"] != nil {
            try w.write(to: path)
        }
        #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: path))))
        let back = try SafetensorsFile(data: bytes)
        #expect(back.tensorNames == ["b", "h", "n", "w", "z"])
        #expect(back.metadata == w.metadata)
        #expect(try back.floats(named: "w") == [0.5, -1.25, 3, 1e-3, -7, 65504])
        #expect(try back.floats(named: "h") == [1, -2.5, Float(Float16(0.1)), 1000])
        // bf16 bits 0x3f80, 0x4049, 0xba83 (numpy round-to-nearest-even)
        #expect(try back.floats(named: "b") == [1, 3.140625, -0.00099945068359375])
        #expect(try back.floats(named: "n") == [1, -2])
        #expect(throws: ModelFilesError.self) { try w.add(name: "w", floats: [1], shape: [1]) }
        #expect(throws: ModelFilesError.self) { try w.add(name: "q", floats: [1, 2], shape: [3]) }
        #expect(throws: ModelFilesError.self) { try w.add(name: "r", dtype: .f16, shape: [2], bytes: [1, 2, 3]) }
    }

    @Test("header length: too small, above the 100 MB bound, past the end")
    func headerLength() {
        #expect(error(Data([1, 2, 3])) == .headerTooSmall(fileSize: 3))
        #expect(error(Self.file("{}", length: 100_000_001)) == .headerTooLarge(length: 100_000_001, limit: 100_000_000))
        #expect(error(Self.file("{}", length: 50)) == .invalidHeaderLength(length: 50, fileSize: 10))
        #expect(error(Self.file("{}")) == nil)
    }

    @Test("header must be UTF-8 JSON object text")
    func headerText() {
        var bad = Self.file("{\"a\":1}")
        bad[10] = 0xff
        #expect(error(bad) == .invalidUTF8(field: "safetensors header", offset: 8))
        guard case .invalidJSON? = error(Self.file("{\"a\":")) else { Issue.record("expected invalidJSON"); return }
        guard case .invalidJSON? = error(Self.file("[1, 2]")) else { Issue.record("expected invalidJSON (array)"); return }
        guard case .invalidJSON? = error(Self.file("{} x")) else { Issue.record("expected invalidJSON (trailing)"); return }
        guard case .invalidJSON? = error(Self.file(String(repeating: "[", count: 200))) else { Issue.record("expected depth error"); return }
    }

    @Test("duplicate keys are rejected, at the top level and nested")
    func duplicateKeys() {
        let t = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}"
        #expect(error(Self.file("{\"x\":\(t),\"x\":\(t)}", data: [1, 2])) == .duplicateKey(key: "x", offset: 8 + 1 + 4 + t.utf8.count + 1))
        guard case .duplicateKey("shape", _)? = error(Self.file("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,1]}}", data: [1])) else {
            Issue.record("expected nested duplicateKey"); return
        }
    }

    @Test("__metadata__ values must be strings")
    func metadataStrings() {
        guard case .metadataNotString("n", _)? = error(Self.file("{\"__metadata__\":{\"ok\":\"1\",\"n\":2}}")) else {
            Issue.record("expected metadataNotString"); return
        }
    }

    @Test("dtype x shape must equal the data_offsets span")
    func sizeRule() {
        #expect(error(Self.file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0]))
            == .tensorSizeMismatch(tensor: "x", expected: 8, actual: 4, offset: 9))
        guard case .unknownDType("x", "F12", _)? = error(Self.file("{\"x\":{\"dtype\":\"F12\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])) else {
            Issue.record("expected unknownDType"); return
        }
        guard case .invalidTensorEntry("x", "shape", _, _)? = error(Self.file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])) else {
            Issue.record("expected negative shape error"); return
        }
        guard case .invalidTensorEntry("x", "shape", _, _)? = error(Self.file("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])) else {
            Issue.record("expected shape overflow error"); return
        }
        guard case .invalidTensorEntry("x", "data_offsets", _, _)? = error(Self.file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}")) else {
            Issue.record("expected missing data_offsets"); return
        }
        guard case .invalidTensorEntry("x", "shape", _, _)? = error(Self.file("{\"x\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", data: [0, 0])) else {
            Issue.record("expected sub-byte size error"); return
        }
    }

    @Test("data_offsets must tile the buffer: no gap, no overlap, exact end")
    func tiling() {
        let a = "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}"
        guard case .invalidDataOffsets("b", 1, 3, 2, _)? = error(Self.file("{\(a),\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", data: [1, 2, 3])) else {
            Issue.record("expected overlap error"); return
        }
        guard case .invalidDataOffsets("b", 3, 5, 2, _)? = error(Self.file("{\(a),\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}", data: [1, 2, 3, 4, 5])) else {
            Issue.record("expected gap error"); return
        }
        guard case .invalidDataOffsets("a", 2, 0, _, _)? = error(Self.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[2,0]}}")) else {
            Issue.record("expected END < BEGIN error"); return
        }
        let end: UInt64 = 63  // 8 + 53-byte header + 2 data bytes
        let long: ModelFilesError = .incompleteBuffer(expectedFileSize: end, fileSize: 64)
        let short: ModelFilesError = .incompleteBuffer(expectedFileSize: end, fileSize: 62)
        #expect(error(Self.file("{\(a)}", data: [1, 2, 3])) == long)
        #expect(error(Self.file("{\(a)}", data: [1])) == short)
        #expect(error(Self.file("{\(a)}", data: [1, 2])) == nil)
    }

    @Test("random corruption and truncation never crash the reader")
    func fuzz() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: ModelFixtures.fixtures + "/python-written.safetensors"))
        for n in stride(from: 0, to: data.count, by: 7) { #expect(error(data.prefix(n)) != nil) }
        var rng = SeededRNG(seed: 7)
        for _ in 0 ..< 1000 {
            var d = data
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &rng) {
                d[Int.random(in: 0 ..< d.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
            }
            _ = try? SafetensorsFile(data: d)
        }
    }
}
