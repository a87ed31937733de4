// A bundle read from disk and checked, up to (not including) the decoder:
// manifest, checksums, catalog, heads, SASRec table, the SASRec checkpoint when
// listed (format 2), and where the base and the adapters are. Spec: docs/bundle.md.
// Errors name the file and the field. Given a `BundleContainment`, every file the load
// opens (here and later, the adapters and a bundled base) is first checked to lie under its root.
import Foundation
import Support
import TrainingOps

/// Everything of a bundle but the decoder weights, validated against each other.
public struct BundleContents: Sendable {
    public let directory: String
    public let manifest: BundleManifest
    /// manifest.json as read (the server answers GET /model with these very bytes).
    public let manifestData: Data
    public let catalog: Catalog
    public let heads: HDRecHeads
    /// [I + 1, D], row 0 = padding.
    public let sasrec: [Float]
    /// The full SASRec model of sasrec_model.safetensors when the manifest lists it (the
    /// anchored ID pass needs it; `hdrec evaluate --fusion sasrec` scores with it).
    public let sasrecModel: SASRecAnchor?
    /// The base GGUF to run (inside the bundle, or the file the caller gave); nil when
    /// the caller runs an already loaded base (`runningBaseSHA256`).
    public let basePath: String?

    /// The adapter directories; resolved, and with both PEFT files checked, under a containment.
    public let textAdapterPath: String
    public let idAdapterPath: String
    public var versions: AdapterVersions { AdapterVersions(text: manifest.adapters.text.version, id: manifest.adapters.id.version) }

    /// Loads and checks the bundle in `directory`.
    /// - Parameters:
    ///   - basePath: the base GGUF when the bundle only references it (checked by sha256);
    ///     ignored when the bundle carries its own.
    ///   - runningBaseSHA256: the sha256 of a base that is already loaded (a hot swap):
    ///     the manifest's base must be that one, and no base file is needed.
    ///   - verifyChecksums: hash every file against the manifest (on by default).
    ///   - containment: when given, every file of the bundle must resolve under its root
    ///     (`basePath` is the caller's, not the bundle's, and is not checked).
    public static func load(directory: String, basePath: String? = nil, runningBaseSHA256: String? = nil,
                            verifyChecksums: Bool = true, containment: BundleContainment? = nil) throws -> BundleContents {
        // The one gate every open below goes through.
        func contained(_ path: String) throws -> String { try containment?.resolve(path) ?? path }
        let given = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let dir = try contained(given)
        let manifestPath = dir + "/" + BundleLayout.manifest
        guard let data = FileManager.default.contents(atPath: try contained(manifestPath)) else { throw HDRecInferenceError.missingFile(path: manifestPath) }
        let manifest = try BundleManifest.decode(data, path: manifestPath)
        if verifyChecksums {
            try BundleLayout.verify(manifest, directory: dir, manifestPath: manifestPath,
                                    hash: { try SHA256.hex(ofFile: try contained($0)) })
        }
        let base: String?
        if let running = runningBaseSHA256 {
            guard running.lowercased() == manifest.base.sha256.lowercased() else {
                throw HDRecInferenceError.malformedFile(path: manifestPath, field: "base.sha256",
                                                     problem: "is \(manifest.base.sha256), but the running base is \(running)")
            }
            base = nil
        } else if let bundled = manifest.base.bundledPath {
            base = try contained(dir + "/" + bundled)
        } else {
            guard let basePath else {
                throw HDRecInferenceError.malformedFile(path: manifestPath, field: "base.bundled_path",
                                                     problem: "the bundle references its base (\(manifest.base.fileName), sha256 \(manifest.base.sha256)) without carrying it: give the base GGUF")
            }
            guard FileManager.default.fileExists(atPath: basePath) else { throw HDRecInferenceError.missingFile(path: basePath) }
            if verifyChecksums {
                let found = try SHA256.hex(ofFile: basePath)
                guard found == manifest.base.sha256.lowercased() else {
                    throw HDRecInferenceError.checksumMismatch(path: basePath, expected: manifest.base.sha256, found: found)
                }
            }
            base = basePath
        }
        if verifyChecksums, manifest.base.bundledPath != nil, manifest.files[manifest.base.bundledPath ?? ""]?.lowercased() != manifest.base.sha256.lowercased() {
            throw HDRecInferenceError.malformedFile(path: manifestPath, field: "base.sha256", problem: "differs from the sha256 listed for \(manifest.base.bundledPath ?? "")")
        }
        let catalog = try Catalog.load(path: try contained(dir + "/" + BundleLayout.catalog))
        let heads = try HDRecHeads.load(path: try contained(dir + "/" + BundleLayout.heads))
        let dims = manifest.dimensions.canonical
        if manifest.formatVersion < 2, dims.needsFormatVersion2 || heads.dimensions.needsFormatVersion2
            || manifest.files[BundleLayout.sasrecModel] != nil {
            throw HDRecInferenceError.malformedFile(path: manifestPath, field: "format_version",
                                                 problem: "is \(manifest.formatVersion), which has no factorized IPL, anchored ID pass or \(BundleLayout.sasrecModel); this bundle needs version 2")
        }
        guard heads.dimensions == dims else {
            throw HDRecInferenceError.inconsistent(field: "\(dir)/\(BundleLayout.heads) vs manifest dimensions",
                                                expected: "\(dims)", found: "\(heads.dimensions)")
        }
        guard catalog.count == dims.itemCount else {
            throw HDRecInferenceError.inconsistent(field: "\(dir)/\(BundleLayout.catalog) lines vs dimensions.item_count",
                                                expected: "\(dims.itemCount)", found: "\(catalog.count)")
        }
        let sasrec = try SASRecTable.load(path: try contained(dir + "/" + BundleLayout.sasrec), itemCount: dims.itemCount,
                                          width: dims.sasrecWidth)
        let model = try loadSASRecModel(dir: dir, manifest: manifest, manifestPath: manifestPath, heads: heads, table: sasrec,
                                        contained: contained)
        // The adapters are read later (HDRecModel.build, over a decoder), from these paths:
        // the directory resolved, and both files in it checked now.
        func adapter(_ info: BundleManifest.AdapterInfo) throws -> String {
            let path = try contained(dir + "/" + info.path)
            for file in [BundleLayout.adapterConfig, BundleLayout.adapterWeights] {
                _ = try contained(dir + "/" + info.path + "/" + file)
            }
            return path
        }
        return BundleContents(directory: dir, manifest: manifest, manifestData: data, catalog: catalog, heads: heads, sasrec: sasrec,
                              sasrecModel: model, basePath: base, textAdapterPath: try adapter(manifest.adapters.text),
                              idAdapterPath: try adapter(manifest.adapters.id))
    }

    /// sasrec_model.safetensors: loaded when listed (only listed files are hash-checked), and
    /// then required to hold the very table of sasrec.safetensors; heads with `id.gate` cannot
    /// be served without it.
    private static func loadSASRecModel(dir: String, manifest: BundleManifest, manifestPath: String, heads: HDRecHeads,
                                        table: [Float], contained: (String) throws -> String) throws -> SASRecAnchor? {
        let path = try contained(dir + "/" + BundleLayout.sasrecModel)
        guard manifest.files[BundleLayout.sasrecModel] != nil else {
            guard heads.idGate != nil else { return nil }
            guard FileManager.default.fileExists(atPath: path) else { throw HDRecInferenceError.missingFile(path: path) }
            throw HDRecInferenceError.malformedFile(path: manifestPath, field: "files",
                                                 problem: "no sha256 for '\(BundleLayout.sasrecModel)', which the anchored ID pass (\(HeadsTensorName.idGate) in \(BundleLayout.heads)) needs")
        }
        let model = try SASRecAnchor.load(path: path, itemCount: heads.dimensions.itemCount, width: heads.dimensions.sasrecWidth)
        try model.checkTable(table, file: dir + "/" + BundleLayout.sasrec)
        return model
    }
}
