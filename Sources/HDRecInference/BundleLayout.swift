// The file layout of a bundle directory (docs/bundle.md) and the checks that need only
// the file system and hashes: required files present, every listed sha256 matching, adapter versions
// derived from their safetensors.
import Foundation
import Support

/// Relative paths inside a bundle.
public enum BundleLayout {
    public static let manifest = "manifest.json"
    public static let base = "base.gguf"
    public static let heads = "heads.safetensors"
    public static let sasrec = "sasrec.safetensors"
    /// The full SASRec checkpoint (format 2): optional, required by heads with `id.gate`.
    public static let sasrecModel = "sasrec_model.safetensors"
    public static let catalog = "catalog.jsonl"
    public static let textAdapter = "adapters/text"
    public static let idAdapter = "adapters/id"
    /// PEFT file names inside an adapter directory.
    public static let adapterWeights = "adapter_model.safetensors"
    public static let adapterConfig = "adapter_config.json"

    /// Files every bundle lists in `manifest.files` (the base only when bundled).
    public static func requiredFiles(_ manifest: BundleManifest) -> [String] {
        var files = [heads, sasrec, catalog]
        for dir in [manifest.adapters.text.path, manifest.adapters.id.path] {
            files += [dir + "/" + adapterWeights, dir + "/" + adapterConfig]
        }
        if let base = manifest.base.bundledPath { files.append(base) }
        return files
    }

    /// An adapter version: the first 12 hex digits of the sha256 of its adapter_model.safetensors.
    public static func adapterVersion(sha256 hex: String) -> String { String(hex.prefix(12)) }

    /// Checks `manifest` against the directory: required files listed and present,
    /// every listed file's sha256 equal to `hash(path)`, and each adapter version
    /// derived from its weights' hash. Paths must stay inside the bundle.
    /// - Parameter hash: lowercase hex sha256 of the file at an absolute path.
    public static func verify(_ manifest: BundleManifest, directory: String, manifestPath: String,
                              hash: (String) throws -> String = { try SHA256.hex(ofFile: $0) }) throws {
        for file in requiredFiles(manifest) where manifest.files[file] == nil {
            throw HDRecInferenceError.malformedFile(path: manifestPath, field: "files", problem: "no sha256 for required file '\(file)'")
        }
        for relative in manifest.files.keys.sorted() {
            guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
                throw HDRecInferenceError.malformedFile(path: manifestPath, field: "files", problem: "'\(relative)' leaves the bundle directory")
            }
            let full = directory + "/" + relative
            guard FileManager.default.fileExists(atPath: full) else { throw HDRecInferenceError.missingFile(path: full) }
            let expected = manifest.files[relative, default: ""].lowercased()
            let found = try hash(full)
            guard found == expected else { throw HDRecInferenceError.checksumMismatch(path: full, expected: expected, found: found) }
        }
        for (name, info) in [("text", manifest.adapters.text), ("id", manifest.adapters.id)] {
            let weights = manifest.files[info.path + "/" + adapterWeights, default: ""]
            let version = adapterVersion(sha256: weights)
            guard info.version == version else {
                throw HDRecInferenceError.malformedFile(path: manifestPath, field: "adapters.\(name).version",
                                                     problem: "is \(info.version), but its \(adapterWeights) gives \(version)")
            }
        }
        if manifest.dimensions.itemCount != manifest.dataset.itemCount {
            throw HDRecInferenceError.inconsistent(field: "item count (dimensions.item_count vs dataset.item_count)",
                                                expected: "\(manifest.dataset.itemCount)", found: "\(manifest.dimensions.itemCount)")
        }
        try manifest.fusion.parameters.validate()
        try manifest.prompt.validate()
    }
}
