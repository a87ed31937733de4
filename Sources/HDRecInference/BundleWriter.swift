// Writes a bundle directory (docs/bundle.md): the files first, each atomically,
// then manifest.json last with every file's sha256, so a reader never sees a
// manifest that lists files not yet written. Used by `hdrec export` and by tests.
import Foundation
import ModelFiles
import RecSys
import Support

/// What goes into a bundle.
public struct BundleSources: Sendable {
    public var heads: HDRecHeads
    /// [I + 1, D], row 0 = padding.
    public var sasrec: [Float]
    public var catalog: Catalog
    /// PEFT directories to copy (adapter_config.json + adapter_model.safetensors).
    public var textAdapterDirectory: String
    public var idAdapterDirectory: String
    /// The base GGUF, copied in as base.gguf when `copyBase`, else referenced by sha256.
    public var basePath: String
    public var copyBase: Bool
    /// Decoder layers the adapters were trained with.
    public var baseLayers: Int
    /// How float tensors are stored (heads, SASRec table, adapter weights): F32 by default;
    /// F16 halves the bundle (the committed default bundle), readers convert back to f32.
    public var tensorDType: SafetensorsDType
    /// The full SASRec checkpoint (as `hdrec sasrec` writes it) whose item table is `sasrec`,
    /// written as sasrec_model.safetensors, always F32: required when the heads carry `id.gate`.
    public var sasrecModelPath: String?

    public init(heads: HDRecHeads, sasrec: [Float], catalog: Catalog, textAdapterDirectory: String, idAdapterDirectory: String,
                basePath: String, copyBase: Bool, baseLayers: Int, tensorDType: SafetensorsDType = .f32,
                sasrecModelPath: String? = nil) {
        self.heads = heads
        self.sasrec = sasrec
        self.catalog = catalog
        self.textAdapterDirectory = textAdapterDirectory
        self.idAdapterDirectory = idAdapterDirectory
        self.basePath = basePath
        self.copyBase = copyBase
        self.baseLayers = baseLayers
        self.tensorDType = tensorDType
        self.sasrecModelPath = sasrecModelPath
    }
}

public enum BundleWriter {
    /// Writes the bundle into `directory` (created if needed) and returns its manifest.
    public static func write(to directory: String, sources s: BundleSources, dataset: BundleManifest.DatasetInfo,
                             prompt: PromptConfiguration, fusion: BundleManifest.FusionDefaults,
                             hyperparameters: [String: ManifestValue] = [:], metrics: [String: [String: Double]] = [:],
                             command: String) throws -> BundleManifest {
        let fm = FileManager.default
        let d = s.heads.dimensions
        guard s.catalog.count == d.itemCount, dataset.itemCount == d.itemCount else {
            throw HDRecInferenceError.inconsistent(field: "item count (catalog, dataset, IPL)", expected: "\(d.itemCount)",
                                                found: "catalog \(s.catalog.count), dataset \(dataset.itemCount)")
        }
        guard s.sasrec.count == (d.itemCount + 1) * d.sasrecWidth else {
            throw HDRecInferenceError.inconsistent(field: "SASRec table size", expected: "[\(d.itemCount + 1), \(d.sasrecWidth)]",
                                                found: "\(s.sasrec.count) values")
        }
        // Checked before anything is written: the anchor's model must be the table's SASRec.
        var sasrecModel: (anchor: SASRecAnchor, metadata: [String: String])? = nil
        if let path = s.sasrecModelPath {
            let anchor = try SASRecAnchor.load(path: path, itemCount: d.itemCount, width: d.sasrecWidth)
            try anchor.checkTable(s.sasrec, file: "the bundle's SASRec table")
            sasrecModel = (anchor, try openSafetensors(path).metadata)
        } else if s.heads.idGate != nil {
            throw HDRecInferenceError.inconsistent(field: "anchored ID pass (\(HeadsTensorName.idGate) in the heads) vs SASRec model",
                                                expected: "the SASRec checkpoint (\(BundleLayout.sasrecModel))", found: "none")
        }
        try fusion.parameters.validate()
        try prompt.validate()
        guard [.f32, .f16, .bf16].contains(s.tensorDType) else {
            throw HDRecInferenceError.inconsistent(field: "bundle tensor dtype", expected: "F32, F16 or BF16", found: "\(s.tensorDType)")
        }
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try s.heads.write(to: directory + "/" + BundleLayout.heads, dtype: s.tensorDType)
        try SASRecTable.write(s.sasrec, itemCount: d.itemCount, width: d.sasrecWidth, to: directory + "/" + BundleLayout.sasrec,
                              dtype: s.tensorDType)
        try s.catalog.write(to: directory + "/" + BundleLayout.catalog)
        let modelPath = directory + "/" + BundleLayout.sasrecModel
        if let sasrecModel {
            // Rewritten rather than copied so that its metadata always names the whole
            // architecture (files from before those keys existed get them added).
            try SASRecExport.write(sasrecModel.anchor.model, to: modelPath, metadata: sasrecModel.metadata)
        } else if fm.fileExists(atPath: modelPath) {
            try fm.removeItem(atPath: modelPath)
        }
        for (source, target) in [(s.textAdapterDirectory, BundleLayout.textAdapter), (s.idAdapterDirectory, BundleLayout.idAdapter)] {
            try fm.createDirectory(atPath: directory + "/" + target, withIntermediateDirectories: true)
            try copy(source + "/" + BundleLayout.adapterConfig, to: directory + "/" + target + "/" + BundleLayout.adapterConfig)
            let weights = (source + "/" + BundleLayout.adapterWeights, directory + "/" + target + "/" + BundleLayout.adapterWeights)
            if s.tensorDType == .f32 {
                try copy(weights.0, to: weights.1)
            } else {
                try recode(weights.0, to: weights.1, dtype: s.tensorDType)
            }
        }
        let baseHash = try SHA256.hex(ofFile: s.basePath)
        if s.copyBase {
            try copy(s.basePath, to: directory + "/" + BundleLayout.base)
        } else if fm.fileExists(atPath: directory + "/" + BundleLayout.base) {
            try fm.removeItem(atPath: directory + "/" + BundleLayout.base)
        }
        var files: [String: String] = [:]
        var listed = [BundleLayout.heads, BundleLayout.sasrec, BundleLayout.catalog]
        if sasrecModel != nil { listed.append(BundleLayout.sasrecModel) }
        for dir in [BundleLayout.textAdapter, BundleLayout.idAdapter] {
            listed += [dir + "/" + BundleLayout.adapterConfig, dir + "/" + BundleLayout.adapterWeights]
        }
        for rel in listed { files[rel] = try SHA256.hex(ofFile: directory + "/" + rel) }
        if s.copyBase { files[BundleLayout.base] = baseHash }
        let version = { (dir: String) in BundleLayout.adapterVersion(sha256: files[dir + "/" + BundleLayout.adapterWeights] ?? "") }
        let manifest = BundleManifest(
            command: command, created: ISO8601DateFormatter().string(from: Date()), dataset: dataset,
            base: .init(fileName: (s.basePath as NSString).lastPathComponent, sha256: baseHash, layers: s.baseLayers,
                        bundledPath: s.copyBase ? BundleLayout.base : nil),
            dimensions: d, prompt: prompt, fusion: fusion,
            adapters: .init(text: .init(path: BundleLayout.textAdapter, version: version(BundleLayout.textAdapter)),
                            id: .init(path: BundleLayout.idAdapter, version: version(BundleLayout.idAdapter))),
            hyperparameters: hyperparameters, metrics: metrics, files: files)
        try AtomicFile.write(try manifest.encoded(), to: directory + "/" + BundleLayout.manifest)
        return manifest
    }

    /// Rewrites a safetensors file with its floating-point tensors stored as `dtype`
    /// (names, shapes and metadata kept; other dtypes copied as they are).
    static func recode(_ source: String, to target: String, dtype: SafetensorsDType) throws {
        let file = try openSafetensors(source)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for info in file.tensors {
            if [.f32, .f16, .bf16, .f64].contains(info.dtype) {
                try writer.add(name: info.name, floats: try file.floats(of: info), shape: info.shape, as: dtype)
            } else {
                try writer.add(name: info.name, dtype: info.dtype, shape: info.shape, bytes: Array(file.bytes(of: info)))
            }
        }
        try writer.write(to: target)
    }

    /// Copies a file atomically, streaming it (a base GGUF may be large).
    static func copy(_ source: String, to target: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw HDRecInferenceError.missingFile(path: source) }
        defer { try? input.close() }
        try AtomicFile.write(to: target) { sink in
            while true {
                let chunk = input.readData(ofLength: 1 << 22)
                if chunk.isEmpty { break }
                try chunk.withUnsafeBytes { try sink($0) }
            }
        }
    }
}
