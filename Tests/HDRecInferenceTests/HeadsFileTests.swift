// heads.safetensors and sasrec.safetensors: the python-written fixture loads to
// the golden values, our writer round-trips, and bad files are named.
import Foundation
import Testing
@testable import HDRecInference

@Suite("Heads and SASRec files")
struct HeadsFileTests {
    func tmp(_ name: String) -> String { NSTemporaryDirectory() + "hdrec-\(UUID().uuidString)-\(name)" }

    @Test("the safetensors written by python load to the same heads")
    func pythonFixture() throws {
        let loaded = try HDRecHeads.load(path: FixturePaths.fixture("heads-tiny.safetensors").path)
        let golden = try HDRecHeads(tensors: try HeadsGolden.load().named, file: "golden")
        #expect(loaded == golden)
    }

    @Test("write then load round-trips")
    func roundTrip() throws {
        let heads = try HDRecHeads(tensors: try HeadsGolden.load().named, file: "golden")
        let path = tmp("heads.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try heads.write(to: path)
        #expect(try HDRecHeads.load(path: path) == heads)
    }

    @Test("missing and unreadable files are reported by path")
    func badFiles() throws {
        let path = tmp("nope.safetensors")
        #expect(throws: HDRecInferenceError.missingFile(path: path)) { try HDRecHeads.load(path: path) }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: HDRecInferenceError.self) { try HDRecHeads.load(path: path) }
    }

    @Test("SASRec table: [items + 1, width] checked")
    func sasrec() throws {
        let path = tmp("sasrec.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values = (0 ..< 4 * 3).map { Float($0) }
        try SASRecTable.write(values, itemCount: 3, width: 3, to: path)
        #expect(try SASRecTable.load(path: path, itemCount: 3, width: 3) == values)
        #expect(throws: HDRecInferenceError.tensorShape(file: path, name: "item_embedding", expected: [5, 3], found: [4, 3])) {
            try SASRecTable.load(path: path, itemCount: 4, width: 3)
        }
    }
}
