// At the bundle level: an adapter error from a bundle load names the
// adapter's file at fault, with its directory (text or id), also for errors the Llama
// module reports by tensor or field alone.
import Foundation
import ModelFiles
import Testing
@testable import HDRecInference

@Suite("Bundle adapter errors name the file at fault")
struct BundleAdapterBlameTests {
    func load(_ b: AnchoredStoriesBundle) throws -> String {
        let error = #expect(throws: (any Error).self) {
            try HDRecModel.load(bundle: b.dir, basePath: Stories.ggufPath, verifyChecksums: false)
        }
        return error.map { "\($0)" } ?? ""
    }

    @Test("corrupt bytes, a mis-shaped tensor and a bad config field each blame their own file")
    func blame() throws {
        let b = try AnchoredStoriesBundle(gate: nil)
        defer { b.cleanup() }
        let weights = b.dir + "/adapters/id/adapter_model.safetensors"
        let config = b.dir + "/adapters/id/adapter_config.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: weights))

        try original.prefix(original.count - 3).write(to: URL(fileURLWithPath: weights))
        var text = try load(b)
        #expect(text.contains(weights) && !text.contains("adapter_config.json"), "\(text)")

        // A well-formed file whose first lora_A has the wrong width: reported by tensor name.
        let file = try SafetensorsFile(data: original)
        var writer = SafetensorsWriter(metadata: file.metadata)
        let victim = try #require(file.tensorNames.sorted().first { $0.hasSuffix("lora_A.weight") })
        for info in file.tensors {
            let shape = info.name == victim ? [info.shape[0], info.shape[1] - 1] : info.shape
            let values = Array(try file.floats(of: info).prefix(shape.reduce(1, *)))
            try writer.add(name: info.name, floats: values, shape: shape)
        }
        try writer.write(to: weights)
        text = try load(b)
        #expect(text.contains(weights) && text.contains(victim) && !text.contains("adapter_config.json"), "\(text)")

        try original.write(to: URL(fileURLWithPath: weights))
        let json = try String(contentsOfFile: config, encoding: .utf8)
        try json.replacingOccurrences(of: "\"lora_alpha\"", with: "\"lora_alpha_gone\"").write(toFile: config, atomically: true, encoding: .utf8)
        text = try load(b)
        #expect(text.contains(config) && text.contains("lora_alpha") && !text.contains("adapter_model.safetensors"), "\(text)")
    }
}
