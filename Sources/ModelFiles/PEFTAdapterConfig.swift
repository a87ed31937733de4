// `adapter_config.json` of a PEFT LoRA adapter (huggingface/peft src/peft/tuners/
// lora/config.py; the fields HDRec reads: docs/model-files.md "PEFT adapter directories").
// File level only: fields are parsed, typed and checked for shape (a rank is a
// positive integer, ...); what they mean for the decoder is the Llama module's job.
// Absent optional fields take PEFT's defaults. Unknown fields are kept (as JSON
// text) so a read-modify-write does not drop them.
import Foundation
import JSON

/// A PEFT module selection (`target_modules`, `exclude_modules`): module names, each
/// matching a module whose name equals it or ends in "." + it, or one regex that must
/// match the whole module name.
public enum PEFTModuleSelection: Sendable, Equatable {
    case names([String])
    case regex(String)
}

public struct PEFTAdapterConfig: Sendable, Equatable {
    /// "LORA" for the adapters HDRec reads and writes.
    public var peftType: String
    public var taskType: String?
    public var baseModelNameOrPath: String?
    /// Rank r.
    public var r: Int
    public var loraAlpha: Double
    /// scaling = alpha / sqrt(r) instead of alpha / r.
    public var useRslora: Bool
    /// Target module names when `target_modules` is a list.
    public var targetModules: [String]
    /// The pattern when `target_modules` is a single regex string.
    public var targetModulesRegex: String?
    public var loraDropout: Double
    public var fanInFanOut: Bool
    public var bias: String
    public var useDora: Bool
    public var modulesToSave: [String]?
    /// Per-module rank and alpha overrides (`rank_pattern`, `alpha_pattern`).
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]
    public var inferenceMode: Bool
    /// Fields not modelled above, as compact JSON text, written back unchanged.
    public var otherFields: [String: String]

    public init(r: Int, loraAlpha: Double, targetModules: [String], baseModelNameOrPath: String? = nil,
                taskType: String? = "CAUSAL_LM", useRslora: Bool = false, loraDropout: Double = 0) {
        peftType = "LORA"
        self.taskType = taskType
        self.baseModelNameOrPath = baseModelNameOrPath
        self.r = r
        self.loraAlpha = loraAlpha
        self.useRslora = useRslora
        self.targetModules = targetModules
        targetModulesRegex = nil
        self.loraDropout = loraDropout
        fanInFanOut = false
        bias = "none"
        useDora = false
        modulesToSave = nil
        rankPattern = [:]
        alphaPattern = [:]
        inferenceMode = true
        otherFields = [:]
    }

    /// The LoRA scale for a module with the default rank and alpha:
    /// alpha / r, or alpha / sqrt(r) with rsLoRA.
    public var scaling: Double {
        useRslora ? loraAlpha / Double(r).squareRoot() : loraAlpha / Double(r)
    }

    /// `target_modules`: the names, the regex, or nil when absent (PEFT then picks per architecture).
    public var targetSelection: PEFTModuleSelection? {
        if let regex = targetModulesRegex { return .regex(regex) }
        return targetModules.isEmpty ? nil : .names(targetModules)
    }

    /// `exclude_modules` (kept verbatim in `otherFields`): names, a regex, or nil when absent or null.
    public func excludeModules() throws -> PEFTModuleSelection? {
        guard let v = try otherField("exclude_modules") else { return nil }
        if let s = v.stringValue { return .regex(s) }
        guard let list = v.arrayValue else { throw ModelFilesError.invalidField(file: Self.file, field: "exclude_modules", reason: "neither a list of names nor a regex string") }
        return .names(try list.map {
            guard let s = $0.stringValue else { throw ModelFilesError.invalidField(file: Self.file, field: "exclude_modules", reason: "list holds a non-string") }
            return s
        })
    }

    /// `layers_to_transform` (kept verbatim in `otherFields`): the layer indices, or nil when absent or null.
    public func layersToTransform() throws -> [Int]? {
        guard let v = try otherField("layers_to_transform") else { return nil }
        let items = v.arrayValue ?? [v]
        return try items.map {
            guard let i = $0.intValue, i >= 0 else {
                throw ModelFilesError.invalidField(file: Self.file, field: "layers_to_transform", reason: "not a layer index or a list of them")
            }
            return i
        }
    }

    /// A boolean field kept verbatim in `otherFields` (e.g. `lora_bias`); false when absent or null.
    public func otherFlag(_ key: String) throws -> Bool {
        guard let v = try otherField(key) else { return false }
        guard let b = v.boolValue else { throw ModelFilesError.invalidField(file: Self.file, field: key, reason: "not a boolean") }
        return b
    }

    private func otherField(_ key: String) throws -> JSONValue? {
        guard let text = otherFields[key] else { return nil }
        let v: JSONValue
        do { v = try JSONValue.parse(text) } catch let e as JSONError {
            throw ModelFilesError.invalidField(file: Self.file, field: key, reason: ModelFilesError(json: e).description)
        }
        return v == .null ? nil : v
    }

    static let file = "adapter_config.json"

    /// Parses adapter_config.json text.
    public init(json text: String) throws {
        let f = Self.file
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch let e as JSONError {
            throw ModelFilesError.invalidField(file: f, field: "(document)", reason: ModelFilesError(json: e).description)
        }
        guard let members = root.objectValue else { throw ModelFilesError.invalidField(file: f, field: "(document)", reason: "not a JSON object") }
        func get(_ k: String) -> JSONValue? {
            guard let v = root[k], v != .null else { return nil }
            return v
        }
        func bad(_ k: String, _ why: String) -> ModelFilesError { .invalidField(file: f, field: k, reason: why) }
        func string(_ k: String) throws -> String? {
            guard let v = get(k) else { return nil }
            guard let s = v.stringValue else { throw bad(k, "not a string") }
            return s
        }
        func bool(_ k: String, _ d: Bool) throws -> Bool {
            guard let v = get(k) else { return d }
            guard let b = v.boolValue else { throw bad(k, "not a boolean") }
            return b
        }
        func number(_ k: String) throws -> Double? {
            guard let v = get(k) else { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw bad(k, "not a finite number") }
            return d
        }
        guard let peft = try string("peft_type") else { throw ModelFilesError.missingField(file: f, field: "peft_type") }
        peftType = peft
        taskType = try string("task_type")
        baseModelNameOrPath = try string("base_model_name_or_path")
        guard let rv = get("r") else { throw ModelFilesError.missingField(file: f, field: "r") }
        guard let rank = rv.intValue, rank > 0 else { throw bad("r", "not a positive integer") }
        r = rank
        guard let alpha = try number("lora_alpha") else { throw ModelFilesError.missingField(file: f, field: "lora_alpha") }
        loraAlpha = alpha
        useRslora = try bool("use_rslora", false)
        targetModules = []
        targetModulesRegex = nil
        if let t = get("target_modules") {
            if let s = t.stringValue {
                targetModulesRegex = s
            } else if let list = t.arrayValue {
                targetModules = try list.map { guard let s = $0.stringValue else { throw bad("target_modules", "list holds a non-string") }; return s }
            } else {
                throw bad("target_modules", "neither a list of names nor a regex string")
            }
        }
        loraDropout = try number("lora_dropout") ?? 0
        fanInFanOut = try bool("fan_in_fan_out", false)
        bias = try string("bias") ?? "none"
        useDora = try bool("use_dora", false)
        inferenceMode = try bool("inference_mode", true)
        if let m = get("modules_to_save") {
            guard let list = m.arrayValue else { throw bad("modules_to_save", "not a list") }
            modulesToSave = try list.map { guard let s = $0.stringValue else { throw bad("modules_to_save", "list holds a non-string") }; return s }
        } else {
            modulesToSave = nil
        }
        rankPattern = [:]
        for m in get("rank_pattern")?.objectValue ?? [] {
            guard let v = m.value.intValue, v > 0 else { throw bad("rank_pattern", "\"\(m.key)\" is not a positive integer") }
            rankPattern[m.key] = v
        }
        alphaPattern = [:]
        for m in get("alpha_pattern")?.objectValue ?? [] {
            guard let v = m.value.doubleValue, v.isFinite else { throw bad("alpha_pattern", "\"\(m.key)\" is not a number") }
            alphaPattern[m.key] = v
        }
        otherFields = [:]
        for m in members where !Self.modelled.contains(m.key) {
            otherFields[m.key] = m.value.serialized(.spaced)
        }
    }

    static let modelled: Set<String> = [
        "peft_type", "task_type", "base_model_name_or_path", "r", "lora_alpha", "use_rslora", "target_modules",
        "lora_dropout", "fan_in_fan_out", "bias", "use_dora", "modules_to_save", "rank_pattern", "alpha_pattern",
        "inference_mode",
    ]

    /// JSON text (keys sorted, two-space indent), readable by PEFT's `LoraConfig.from_pretrained`.
    public func jsonText() throws -> String {
        func num(_ k: String, _ d: Double) throws -> String {
            guard d.isFinite else { throw ModelFilesError.invalidField(file: Self.file, field: k, reason: "not finite") }
            return d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)"
        }
        func list(_ a: [String]) -> String { "[" + a.map(JSONString.quote).joined(separator: ", ") + "]" }
        var fields: [String: String] = otherFields
        fields["peft_type"] = JSONString.quote(peftType)
        fields["task_type"] = taskType.map(JSONString.quote) ?? "null"
        fields["base_model_name_or_path"] = baseModelNameOrPath.map(JSONString.quote) ?? "null"
        fields["r"] = String(r)
        fields["lora_alpha"] = try num("lora_alpha", loraAlpha)
        fields["use_rslora"] = useRslora ? "true" : "false"
        fields["target_modules"] = targetModulesRegex.map(JSONString.quote) ?? list(targetModules)
        fields["lora_dropout"] = try num("lora_dropout", loraDropout)
        fields["fan_in_fan_out"] = fanInFanOut ? "true" : "false"
        fields["bias"] = JSONString.quote(bias)
        fields["use_dora"] = useDora ? "true" : "false"
        fields["inference_mode"] = inferenceMode ? "true" : "false"
        fields["modules_to_save"] = modulesToSave.map(list) ?? "null"
        fields["rank_pattern"] = "{" + rankPattern.keys.sorted().map { "\(JSONString.quote($0)): \(rankPattern[$0] ?? 0)" }.joined(separator: ", ") + "}"
        fields["alpha_pattern"] = try "{" + alphaPattern.keys.sorted().map { "\(JSONString.quote($0)): \(try num("alpha_pattern", alphaPattern[$0] ?? 0))" }.joined(separator: ", ") + "}"
        return "{\n" + fields.keys.sorted().map { "  \(JSONString.quote($0)): \(fields[$0] ?? "null")" }.joined(separator: ",\n") + "\n}\n"
    }
}
