// Checkpoint tensor names are the bundle's (HDRecParameterKey.name), and resuming from a checkpoint
// whose tensors differ (one written under the old training names, say) fails naming the file and
// the first tensor that differs.
import TrainingOps
import Foundation
import HDRecInference
import Testing
@testable import Training

@Suite("Checkpoint tensor names")
struct CheckpointNameTests {
    private func parameters(_ config: HDRecNetworkConfig = TinyHDRec.config()) throws -> HDRecParameters<Float> {
        try HDRecParameters(config: config, base: try TinyHDRec.base(Float.self, seed: 21), itemCount: TinyHDRec.items, seed: 22)
    }

    private func temporaryFile() -> String { NSTemporaryDirectory() + "hdrec-checkpoint-\(UUID().uuidString).safetensors" }

    @Test("the layout names the tensors as the bundle does")
    func bundleNames() throws {
        let names = try parameters().store.layout.specs.map(\.name)
        #expect(names.contains("projector.0.weight") && names.contains("projector.2.bias"))
        #expect(names.contains("ipl.0.weight") && names.contains("ipl.2.weight") && names.contains("tokens.seq"))
        #expect(names.first == "adapters/text/base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        #expect(names.contains("adapters/id/base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"))
        #expect(HDRecParameterKey.ipl(.projection).name == HeadsTensorName.iplProjection)
        #expect(HDRecParameterKey.norm(.attention(layer: 3)).name == "norms.blk.3.attn_norm.weight")
    }

    @Test("a checkpoint round-trips")
    func roundTrip() throws {
        let p = try parameters(), path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try p.parameter(.projector(.inBias))[2] = 0.25
        try Checkpoint.save(p.store, step: 7, to: path)
        let q = try parameters()
        #expect(try Checkpoint.load(q.store, from: path) == 7)
        #expect(try q.parameter(.projector(.inBias))[2] == 0.25)
    }

    @Test("resuming from a checkpoint with the old training names fails on its first tensor")
    func oldNames() throws {
        let p = try parameters(), path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var old = ParameterLayout()   // the names training used before it adopted the bundle's
        for spec in p.store.layout.specs {
            let name = spec.name.hasPrefix("adapters/") ? "lora.old.\(old.specs.count)" : spec.name
            try old.add(name, shape: spec.shape, decay: spec.decay, group: spec.group)
        }
        try Checkpoint.save(ParameterStore<Float>(layout: old), step: 3, to: path)
        #expect(throws: HDRecTrainingError.checkpointTensor(path: path, tensor: "lora.old.0", problem: "is not a tensor of this network")) {
            try Checkpoint.load(p.store, from: path)
        }
        let message = HDRecTrainingError.checkpointTensor(path: path, tensor: "lora.old.0", problem: "is not a tensor of this network").description
        #expect(message.contains(path) && message.contains("'lora.old.0'"))
    }

    @Test("a checkpoint of another configuration fails naming the missing tensor")
    func missingTensor() throws {
        var normed = TinyHDRec.config()
        normed.trainNorms = true
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(try parameters().store, step: 1, to: path)
        #expect(throws: HDRecTrainingError.checkpointTensor(path: path, tensor: "norms.blk.0.attn_norm.weight", problem: "is missing")) {
            try Checkpoint.load(try parameters(normed).store, from: path)
        }
    }
}
