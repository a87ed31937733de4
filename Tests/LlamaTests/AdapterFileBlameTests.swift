// Issue 14 item 7: an adapter load error names the file actually at fault. A corrupt
// adapter_model.safetensors was reported as "adapter_config.json is not a LoRA adapter";
// each corruption below damages one file of the PEFT fixture and checks which file the
// message blames (and that the other one is not blamed).
import Foundation
import Testing
@testable import Llama

@Suite("Adapter errors name the file at fault")
struct AdapterFileBlameTests {
    /// A copy of the PEFT fixture directory in a fresh temporary directory.
    func copy() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-blame-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: TestFiles.fixture("stories260K-lora-peft"), toPath: dir)
        return dir
    }

    func message(loading dir: String) throws -> String {
        let model = try #require(SharedModels.stories, "stories260K model not found")
        let error = #expect(throws: LlamaError.self) { try LoRAAdapter.load(path: dir, name: "x", base: model.config) }
        return error?.description ?? ""
    }

    static let weights = "adapter_model.safetensors"
    static let config = "adapter_config.json"

    /// Corruptions of adapter_model.safetensors: (what, the new bytes from the old).
    static let weightCorruptions: [(String, @Sendable (Data) -> Data)] = [
        ("truncated to half", { $0.prefix($0.count / 2) }),
        ("header length past the end", { var d = $0; d.replaceSubrange(0 ..< 8, with: [0xFF, 0xFF, 0, 0, 0, 0, 0, 0]); return d }),
        ("header not JSON", { var d = $0; d[8] = UInt8(ascii: "#"); return d }),
        ("seven bytes", { $0.prefix(7) }),
    ]

    @Test("a corrupt adapter_model.safetensors is blamed, not adapter_config.json", arguments: 0 ..< weightCorruptions.count)
    func corruptWeights(_ index: Int) throws {
        let (what, corrupt) = Self.weightCorruptions[index]
        let dir = try copy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + Self.weights
        try corrupt(try Data(contentsOf: URL(fileURLWithPath: path))).write(to: URL(fileURLWithPath: path))
        let text = try message(loading: dir)
        #expect(text.hasPrefix(path + ": "), "\(what): \(text)")
        #expect(!text.contains(Self.config), "\(what): \(text)")
        #expect(text.contains("byte"), "\(what): the offset is given: \(text)")
    }

    @Test("a corrupt adapter_config.json is blamed, not adapter_model.safetensors")
    func corruptConfig() throws {
        for (what, body) in [("not JSON", "{\"peft_type\": \"LORA\", "), ("r not a number", #"{"peft_type": "LORA", "r": "eight", "lora_alpha": 16}"#)] {
            let dir = try copy()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try body.write(toFile: dir + "/" + Self.config, atomically: true, encoding: .utf8)
            let text = try message(loading: dir)
            #expect(text.contains(dir + "/" + Self.config), "\(what): \(text)")
            #expect(!text.contains(Self.weights), "\(what): \(text)")
        }
    }
}
