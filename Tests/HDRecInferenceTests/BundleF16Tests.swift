// `hdrec export --dtype f16` (BundleSources.tensorDType): heads, SASRec table and
// the adapters' weights are stored as F16 and load back as the f16-rounded values;
// names, shapes, metadata and the manifest's checks are unchanged.
import Foundation
import ModelFiles
import Testing
@testable import HDRecInference

@Suite("F16 bundles")
struct BundleF16Tests {
    /// |a - b| within f16 rounding of b (half an ulp: 2^-11 relative, plus the subnormal step).
    static func closeToF16(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= abs($1) * 0x1p-11 + 0x1p-24 }
    }

    @Test("heads, SASRec and adapter weights are written as F16 and read back rounded")
    func f16RoundTrip() throws {
        let t = try TinyBundle()
        defer { t.cleanup() }
        // Real safetensors adapter weights (TinyBundle's are placeholders), with metadata to keep.
        var adapterValues: [String: [Float]] = [:]
        for (n, name) in ["text", "id"].enumerated() {
            var w = SafetensorsWriter(metadata: ["format": "pt"])
            let a = (0 ..< 24).map { Float($0 + n) * 0.0137 - 0.1 }
            try w.add(name: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", floats: a, shape: [2, 12])
            try w.add(name: "step", dtype: .i64, shape: [1], bytes: [7, 0, 0, 0, 0, 0, 0, 0])
            try w.write(to: t.root + "/src/\(name)/adapter_model.safetensors")
            adapterValues[name] = a
        }
        let sources = BundleSources(heads: t.heads, sasrec: t.sasrec, catalog: t.catalog, textAdapterDirectory: t.root + "/src/text",
                                    idAdapterDirectory: t.root + "/src/id", basePath: t.basePath, copyBase: false, baseLayers: 5,
                                    tensorDType: .f16)
        let dir = t.root + "/f16"
        let m = try BundleWriter.write(to: dir, sources: sources, dataset: .init(name: "tiny", itemCount: t.heads.dimensions.itemCount),
                                       prompt: PromptConfiguration(), fusion: .init(alpha: 0.4), command: "test")
        for file in ["heads.safetensors", "sasrec.safetensors"] {
            let st = try SafetensorsFile(path: dir + "/" + file)
            #expect(st.tensors.allSatisfy { $0.dtype == .f16 }, "\(file): \(st.tensors.map(\.dtype))")
        }
        let b = try BundleContents.load(directory: dir, basePath: t.basePath)
        #expect(b.manifest == m)
        #expect(Self.closeToF16(b.sasrec, t.sasrec))
        #expect(b.heads.tensors().map(\.name) == t.heads.tensors().map(\.name))
        for (x, y) in zip(b.heads.tensors(), t.heads.tensors()) {
            #expect(x.shape == y.shape && Self.closeToF16(x.values, y.values), "\(x.name)")
        }
        for name in ["text", "id"] {
            let st = try SafetensorsFile(path: dir + "/adapters/\(name)/adapter_model.safetensors")
            #expect(st.metadata == ["format": "pt"])
            let a = try #require(st.tensor(named: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"))
            #expect(a.dtype == .f16 && a.shape == [2, 12])
            #expect(Self.closeToF16(try st.floats(of: a), adapterValues[name] ?? []))
            let step = try #require(st.tensor(named: "step"))
            #expect(step.dtype == .i64, "non-float tensors keep their type")
        }
        // The f32 default writes what it was given, bit for bit.
        let f32 = try BundleContents.load(directory: try t.write(copyBase: false, to: "f32").0, basePath: t.basePath)
        #expect(f32.sasrec == t.sasrec)
    }
}
