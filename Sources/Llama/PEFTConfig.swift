// What adapter_config.json of a Hugging Face PEFT LoRA directory means for this decoder:
// the file is parsed and typed by ModelFiles (PEFTAdapterConfig); here it is validated
// against the base before any tensor is read (huggingface/peft: tuners/lora/config.py,
// tuners/tuners_utils.py check_target_module_exists, utils/other.py get_pattern_key).
//
// PEFT matches names of the Hugging Face model's modules ("model.layers.3.self_attn.q_proj",
// "lm_head", ...):
//   target_modules  a list: an entry selects a module whose name equals it or ends in
//                   "." + entry; a string: a regex that must match the whole name;
//                   "all-linear": every linear layer but the output head
//   exclude_modules the same rules, removing modules from the selection
//   layers_to_transform  only these layer indices
//   rank_pattern    {key: rank}; key is a regex matched as (.*\.)?key$ against the name
// PEFT itself skips what matches nothing and lets unexpected tensors through with a
// warning. Here every target entry must select at least one of the seven adaptable
// linear layers of this base and nothing else (lm_head, embed_tokens, norms), every
// tensor must lie on a selected module, and each tensor's rank must equal what r /
// rank_pattern say: a silent mismatch would scale the delta by the wrong alpha/r.
import Foundation
import ModelFiles

/// The validated content of a PEFT `adapter_config.json`.
struct PEFTConfig {
    /// `r`: the rank of every module not in ``rankPattern``.
    let r: Int
    /// `lora_alpha`
    let alpha: Float
    /// `use_rslora`
    let rankStabilized: Bool
    /// The adaptable sites the config selects (all when `target_modules` is absent).
    let selected: Set<LoRASite>
    /// `rank_pattern` entries: (key, compiled `(.*\.)?key$`, rank).
    private let rankPattern: [(key: String, regex: NSRegularExpression, rank: Int)]

    /// `model.layers.{i}.{parent}.{module}`: the Hugging Face module name of a site.
    static func moduleName(_ site: LoRASite) -> String {
        "model.layers.\(site.layer).\(site.target.peftParent).\(site.target.peftModule)"
    }

    /// Module names of a Hugging Face LlamaForCausalLM that LoRA must not adapt here:
    /// the embedding, the head, norms and containers (PEFT would adapt the first two, and
    /// rejects the rest itself).
    static func otherModuleNames(layerCount: Int) -> [String] {
        var names = ["model", "model.embed_tokens", "model.layers", "model.norm", "model.rotary_emb", "lm_head"]
        for l in 0 ..< layerCount {
            let p = "model.layers.\(l)"
            names += [p, p + ".self_attn", p + ".mlp", p + ".mlp.act_fn", p + ".input_layernorm",
                      p + ".post_attention_layernorm", p + ".self_attn.rotary_emb"]
        }
        return names
    }

    init(_ config: PEFTAdapterConfig, path: String, base: LlamaConfig) throws {
        guard config.peftType == "LORA" else {
            throw LlamaError.notAnAdapter(path: path, reason: "peft_type is '\(config.peftType)', not 'LORA'")
        }
        let alpha = Float(config.loraAlpha)
        if config.useDora { throw LlamaError.adapterUnsupported(feature: "DoRA (use_dora)") }
        if config.fanInFanOut { throw LlamaError.adapterUnsupported(feature: "fan_in_fan_out") }
        if try Self.typed(path, { try config.otherFlag("lora_bias") }) { throw LlamaError.adapterUnsupported(feature: "lora_bias") }
        if config.bias != "none" { throw LlamaError.adapterUnsupported(feature: "bias = \(config.bias)") }
        if let modules = config.modulesToSave, !modules.isEmpty {
            throw LlamaError.adapterUnsupported(feature: "modules_to_save \(modules)")
        }
        // One alpha per adapter: a pattern that repeats lora_alpha changes nothing.
        if config.alphaPattern.values.contains(where: { Float($0) != alpha }) {
            throw LlamaError.adapterUnsupported(feature: "alpha_pattern with alphas other than lora_alpha")
        }

        let sites = (0 ..< base.layerCount).flatMap { l in LoRATarget.allCases.map { LoRASite(layer: l, target: $0) } }
        let others = Self.otherModuleNames(layerCount: base.layerCount)
        var selected = Set(sites)
        if let targets = config.targetSelection {
            selected = try Self.select(targets, sites: sites, others: others, path: path)
        }
        if let excluded = try Self.typed(path, { try config.excludeModules() }) {
            selected.subtract(try Self.select(excluded, sites: sites, others: others, path: path, strict: false))
        }
        if let layers = try Self.typed(path, { try config.layersToTransform() }) {
            let keep = Set(layers)
            selected = selected.filter { keep.contains($0.layer) }
        }

        var rankPattern: [(key: String, regex: NSRegularExpression, rank: Int)] = []
        for key in config.rankPattern.keys.sorted() {
            guard let regex = try? NSRegularExpression(pattern: "^(?:.*\\.)?(?:\(key))$") else {
                throw LlamaError.notAnAdapter(path: path, reason: "rank_pattern key '\(key)' is not a valid regex")
            }
            rankPattern.append((key, regex, config.rankPattern[key] ?? config.r))
        }

        self.r = config.r
        self.alpha = alpha
        self.rankStabilized = config.useRslora
        self.selected = selected
        self.rankPattern = rankPattern
    }

    /// A ModelFiles field accessor, its file-level errors reported against the adapter.
    private static func typed<T>(_ path: String, _ read: () throws -> T) throws -> T {
        do { return try read() } catch let error as ModelFilesError {
            throw LlamaError.notAnAdapter(path: path, reason: error.description)
        }
    }

    /// The rank the config declares for `site`: its `rank_pattern` entry, else `r`.
    /// Patterns that match the same module with different ranks are an error (PEFT would
    /// take whichever comes first in the file, an order JSON objects do not promise).
    func declaredRank(of site: LoRASite) throws -> Int {
        let name = Self.moduleName(site)
        let hits = rankPattern.filter { Self.matches($0.regex, name) }
        guard let first = hits.first else { return r }
        if let other = hits.first(where: { $0.rank != first.rank }) {
            throw LlamaError.adapterUnsupported(
                feature: "rank_pattern keys '\(first.key)' and '\(other.key)' give \(name) ranks \(first.rank) and \(other.rank)")
        }
        return first.rank
    }

    /// The sites a `target_modules`-style selection selects. When `strict`, every entry (or
    /// the regex) must select at least one site and no other module.
    private static func select(_ selection: PEFTModuleSelection, sites: [LoRASite], others: [String], path: String,
                               strict: Bool = true) throws -> Set<LoRASite> {
        switch selection {
        case let .regex(regex):
            if regex == "all-linear" { return Set(sites) }
            guard let compiled = try? NSRegularExpression(pattern: "^(?:\(regex))$") else {
                throw LlamaError.notAnAdapter(path: path, reason: "'\(regex)' in adapter_config.json is not a valid regex")
            }
            if strict, let other = others.first(where: { matches(compiled, $0) }) {
                throw LlamaError.adapterUnknownTarget(entry: regex, selects: other)
            }
            let hit = sites.filter { matches(compiled, moduleName($0)) }
            if hit.isEmpty, strict { throw LlamaError.adapterUnknownTarget(entry: regex, selects: nil) }
            return Set(hit)
        case let .names(entries):
            var result = Set<LoRASite>()
            for entry in entries {
                func hits(_ name: String) -> Bool { name == entry || name.hasSuffix("." + entry) }
                if strict, let other = others.first(where: hits) { throw LlamaError.adapterUnknownTarget(entry: entry, selects: other) }
                let hit = sites.filter { hits(moduleName($0)) }
                if hit.isEmpty, strict { throw LlamaError.adapterUnknownTarget(entry: entry, selects: nil) }
                result.formUnion(hit)
            }
            return result
        }
    }

    private static func matches(_ regex: NSRegularExpression, _ name: String) -> Bool {
        regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
}
