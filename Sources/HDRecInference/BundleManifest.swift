// manifest.json of a bundle (docs/bundle.md "manifest.json"):
// the contract between the trainer (`hdrec export`) and every consumer
// (`hdrec recommend`, `hdrec evaluate`, `hdrec-server`). Schema: docs/bundle.md.
import Foundation
import JSON

/// The decoded manifest.json. Keys are snake_case in the file.
public struct BundleManifest: Sendable, Equatable, Codable {
    /// Always "hdrec-bundle".
    public var format: String
    /// Bumped on incompatible layout changes; readers refuse versions they do not know.
    public var formatVersion: Int
    /// The command line that made the bundle.
    public var command: String
    /// ISO 8601 creation time.
    public var created: String
    public var dataset: DatasetInfo
    public var base: BaseModelInfo
    public var dimensions: HeadsDimensions
    public var prompt: PromptConfiguration
    /// Default fusion for requests that name none: method, α chosen on validation, τ, ε.
    public var fusion: FusionDefaults
    /// Adapter directories (relative to the bundle) and their versions.
    public var adapters: AdapterPair
    /// Training settings, free-form (epochs, lr, λ, LoRA r/alpha/targets, profile, seed, ...).
    public var hyperparameters: [String: ManifestValue]
    /// Metrics by split ("valid", "test"), each by metric name ("NDCG@10", "MRR", ...).
    public var metrics: [String: [String: Double]]
    /// sha256 (lowercase hex) of every file of the bundle except manifest.json, by relative path.
    public var files: [String: String]

    public static let formatName = "hdrec-bundle"
    /// What this build writes. Version 2 added the factorized IPL, the SASRec-anchored ID
    /// pass and sasrec_model.safetensors; a version-1 bundle has none of them and still loads.
    public static let currentFormatVersion = 2
    /// What this build reads.
    public static let readableFormatVersions = 1 ... currentFormatVersion
    public static let fileName = "manifest.json"

    public struct DatasetInfo: Sendable, Equatable, Codable {
        public var name: String
        public var itemCount: Int
        public var userCount: Int?
        /// sha256 of the dataset's canonical files, when known (resume checks).
        public var sha256: String?
        public init(name: String, itemCount: Int, userCount: Int? = nil, sha256: String? = nil) {
            self.name = name
            self.itemCount = itemCount
            self.userCount = userCount
            self.sha256 = sha256
        }
    }

    public struct BaseModelInfo: Sendable, Equatable, Codable {
        /// The GGUF's file name when it was trained (informational).
        public var fileName: String
        /// sha256 of the GGUF: the running base must match it exactly.
        public var sha256: String
        /// Decoder layers used (the cpu profile may use the first N of the base).
        public var layers: Int
        /// Path of the GGUF inside the bundle ("base.gguf") when it is copied in; nil when
        /// the bundle only references it by sha256 and the loader is given the file.
        public var bundledPath: String?
        public init(fileName: String, sha256: String, layers: Int, bundledPath: String? = nil) {
            self.fileName = fileName
            self.sha256 = sha256
            self.layers = layers
            self.bundledPath = bundledPath
        }
    }

    public struct FusionDefaults: Sendable, Equatable, Codable {
        public var method: FusionMethod
        public var alpha: Float
        public var temperature: Float
        public var epsilon: Float
        public init(method: FusionMethod = .textDominant, alpha: Float, temperature: Float = 1, epsilon: Float = 1e-8) {
            self.method = method
            self.alpha = alpha
            self.temperature = temperature
            self.epsilon = epsilon
        }
        public var parameters: FusionParameters { FusionParameters(alpha: alpha, temperature: temperature, epsilon: epsilon) }
    }

    public struct AdapterPair: Sendable, Equatable, Codable {
        public var text: AdapterInfo
        public var id: AdapterInfo
        public init(text: AdapterInfo, id: AdapterInfo) {
            self.text = text
            self.id = id
        }
    }

    public struct AdapterInfo: Sendable, Equatable, Codable {
        /// Directory relative to the bundle ("adapters/text").
        public var path: String
        /// First 12 hex digits of the sha256 of its adapter_model.safetensors.
        public var version: String
        public init(path: String, version: String) {
            self.path = path
            self.version = version
        }
    }

    public init(command: String, created: String, dataset: DatasetInfo, base: BaseModelInfo, dimensions: HeadsDimensions,
                prompt: PromptConfiguration, fusion: FusionDefaults, adapters: AdapterPair,
                hyperparameters: [String: ManifestValue] = [:], metrics: [String: [String: Double]] = [:],
                files: [String: String] = [:]) {
        self.format = Self.formatName
        self.formatVersion = Self.currentFormatVersion
        self.command = command
        self.created = created
        self.dataset = dataset
        self.base = base
        self.dimensions = dimensions
        self.prompt = prompt
        self.fusion = fusion
        self.adapters = adapters
        self.hyperparameters = hyperparameters
        self.metrics = metrics
        self.files = files
    }

    /// The manifest's JSON: snake_case keys, sorted, pretty-printed.
    public func encoded() throws -> Data {
        Data(try JSONDocumentEncoder(keys: .snakeCase, layout: .pretty, sortedKeys: true).encode(self).utf8)
    }

    /// Parses manifest.json bytes; errors name `path`, the field and its byte offset.
    public static func decode(_ data: Data, path: String) throws -> BundleManifest {
        let d = JSONDocumentDecoder(keys: .snakeCase)
        let bytes = [UInt8](data)
        // The format fields first, so a future version is reported as such, not as a schema error.
        struct Head: Decodable { var format: String?; var formatVersion: Int? }
        let head: Head
        do { head = try d.decode(Head.self, from: bytes) } catch let e as JSONError { throw malformed(e, path: path) }
        guard head.format == formatName else {
            throw HDRecInferenceError.malformedFile(path: path, field: "format", problem: "expected \"\(formatName)\", found \(head.format.map { "\"\($0)\"" } ?? "none")")
        }
        guard let version = head.formatVersion, readableFormatVersions.contains(version) else {
            throw HDRecInferenceError.malformedFile(path: path, field: "format_version",
                                                 problem: "this build reads versions \(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound), found \(head.formatVersion.map(String.init) ?? "none")")
        }
        do { return try d.decode(BundleManifest.self, from: bytes) } catch let e as JSONError { throw malformed(e, path: path) }
    }

    /// A JSON error as the file's error: the field in the file's own spelling (e.g.
    /// `adapters.text.version`) and the byte offset of the member holding it.
    private static func malformed(_ e: JSONError, path: String) -> HDRecInferenceError {
        guard case let .document(field, problem, offset) = e else {
            return .malformedFile(path: path, field: "(file)", problem: "\(e)")
        }
        if field.isEmpty { return .malformedFile(path: path, field: "(file)", problem: "not a JSON object") }
        return .malformedFile(path: path, field: field, problem: "\(problem) (byte \(offset))")
    }
}
