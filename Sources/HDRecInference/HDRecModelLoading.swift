// Building a runnable HDRecModel from a bundle: the base GGUF through the Llama
// decoder, run as it was trained (its first `base.layers` blocks, then output_norm,
// with the trained `norms.*` of heads.safetensors in place: docs/bundle.md), its
// tokenizer with [SEQ]/[ALIGN] added, the two PEFT adapters, the heads, the
// SASRec table and (anchored ID pass) the SASRec model, all checked against each other.
import Foundation
import Kernels
import Llama
import ModelFiles
import Quant
import Tokenizer

/// A loaded bundle ready to serve: the model plus what responses need.
public struct LoadedHDRec: Sendable {
    public let contents: BundleContents
    public let model: HDRecModel
    public let base: LlamaModel
}

extension HDRecModel {
    /// Loads the bundle in `directory` into a runnable model, with its own base.
    /// - Parameter basePath: the base GGUF, for bundles that reference theirs by sha256.
    ///   `containment`: every file of the bundle must lie under its root (BundleContents.load).
    ///   `activations`: the decoder's activation precision (`--int8-activations`).
    public static func load(bundle directory: String, basePath: String? = nil, verifyChecksums: Bool = true,
                            containment: BundleContainment? = nil, pool: ThreadPool = .shared,
                            prefixCache: PrefixCachePolicy = PrefixCachePolicy(),
                            activations: ActivationPrecision = .f32) throws -> LoadedHDRec {
        let contents = try BundleContents.load(directory: directory, basePath: basePath, verifyChecksums: verifyChecksums,
                                               containment: containment)
        guard let path = contents.basePath else { throw HDRecInferenceError.missingFile(path: "base GGUF") }
        let llama: LlamaModel
        do { llama = try LlamaModel(path: path).withActivations(activations) } catch {
            throw HDRecInferenceError.malformedFile(path: path, field: "(file)", problem: "cannot load the base decoder: \(error)")
        }
        return LoadedHDRec(contents: contents, model: try build(contents, base: llama, pool: pool, prefixCache: prefixCache), base: llama)
    }

    /// Loads another bundle's adapters and heads over a base that is already running
    /// (hot swap): the manifest must name that base's sha256.
    public static func load(bundle directory: String, sharing base: LlamaModel, baseSHA256: String,
                            verifyChecksums: Bool = true, containment: BundleContainment? = nil,
                            pool: ThreadPool = .shared, prefixCache: PrefixCachePolicy = PrefixCachePolicy()) throws -> LoadedHDRec {
        let contents = try BundleContents.load(directory: directory, runningBaseSHA256: baseSHA256, verifyChecksums: verifyChecksums,
                                               containment: containment)
        return LoadedHDRec(contents: contents, model: try build(contents, base: base, pool: pool, prefixCache: prefixCache), base: base)
    }
    /// Assembles the model from checked bundle contents over a loaded base, as it was
    /// trained: only the first `base.layers` decoder blocks run (then `output_norm`), and
    /// trained norms (`norms.*` of heads.safetensors) replace the base's for both passes.
    /// `llama` itself is not changed (a hot swap may cut it to another depth).
    public static func build(_ contents: BundleContents, base llama: LlamaModel, pool: ThreadPool = .shared,
                             prefixCache: PrefixCachePolicy = PrefixCachePolicy()) throws -> HDRecModel {
        let m = contents.manifest
        let model = try decoderModel(base: llama, layers: m.base.layers, norms: contents.heads.norms,
                                     headsPath: contents.directory + "/" + BundleLayout.heads)
        let config = model.config
        guard config.width == m.dimensions.modelWidth else {
            throw HDRecInferenceError.inconsistent(field: "base width vs dimensions.model_width", expected: "\(m.dimensions.modelWidth)", found: "\(config.width)")
        }
        let tokenizer = try Tokenizer(gguf: llama.file).withHDRecTokens()
        let prompts = try PromptBuilder(tokenizer: tokenizer, catalog: contents.catalog, configuration: m.prompt)
        let text = try adapter(at: contents.textAdapterPath, name: "text", base: config)
        let id = try adapter(at: contents.idAdapterPath, name: "id", base: config)
        let decoder = LlamaHDRecDecoder(model: model, textAdapter: text, idAdapter: id, pool: pool, prefixCache: prefixCache)
        return try HDRecModel(decoder: decoder, prompts: prompts, heads: contents.heads, sasrec: contents.sasrec,
                              fusionDefaults: m.fusion, versions: contents.versions, anchor: contents.sasrecModel)
    }

    /// A bundle's adapter; an error about a tensor or a config field is reported against
    /// the file of that adapter it is about (the Llama error alone does not say which).
    static func adapter(at path: String, name: String, base: LlamaConfig) throws -> LoRAAdapter {
        do { return try LoRAAdapter.load(path: path, name: name, base: base) } catch let error as LlamaError {
            guard let file = error.peftFileName else { throw error }
            throw HDRecInferenceError.malformedFile(path: path + "/" + file, field: "(\(name) adapter)", problem: error.description)
        }
    }

    /// Most bytes of f32 copies of the running layers' matrices a loaded bundle keeps
    /// (`LlamaModel.decodingWeights`): 256 MiB holds SmolLM2-135M's 30 layers up to 18 of
    /// them (the default bundle's 4 take 57 MB); a larger base decodes per product past it.
    public static let decodedWeightBudgetBytes = 256 << 20

    /// The decoder HDRec runs: `base` cut to its first `layers` blocks (sharing its
    /// weights) with trained RMSNorm weights in place (keys are GGUF tensor names,
    /// `blk.N.attn_norm.weight`, `blk.N.ffn_norm.weight`, `output_norm.weight`).
    /// `headsPath` names the norms' file in errors.
    public static func decoderModel(base: LlamaModel, layers: Int, norms: [String: [Float]],
                                    headsPath: String = BundleLayout.heads) throws -> LlamaModel {
        guard layers >= 1, layers <= base.config.layerCount else {
            throw HDRecInferenceError.inconsistent(field: "base.layers vs the base decoder's block count (the first base.layers blocks run)",
                                                expected: "1...\(base.config.layerCount)", found: "\(layers)")
        }
        let whole = layers == base.config.layerCount ? base : try base.truncated(layers: layers)
        // The layers that run get their matrices prepared once: unpacked for the integer
        // kernels (8-bit activations), or decoded to f32 up to a memory budget (bitwise the
        // same results; what makes a returning user's few new rows and the ID pass cheap).
        let cut = base.activations == .int8 ? whole.packingInt8Weights()
            : whole.decodingWeights(budgetBytes: decodedWeightBudgetBytes)
        guard !norms.isEmpty else { return cut }
        do { return try cut.replacingNorms(norms) } catch let e as LlamaError {
            let name: String
            switch e {
            case let .notANormTensor(n, _), let .tensorShapeMismatch(n, _, _), let .nonFiniteWeight(n, _): name = n
            default: name = "norms.*"
            }
            throw HDRecInferenceError.tensorContent(file: headsPath, name: HeadsTensorName.normPrefix + name, problem: e.description)
        }
    }
}
