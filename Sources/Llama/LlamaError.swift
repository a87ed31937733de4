// Every failure the Llama module reports, one case per rule, each carrying what was
// found (key, tensor name, shape, position) so a bad model, adapter or request can be
// fixed from the message alone. Libraries throw these; only executables exit.

/// Errors from loading a Llama model or LoRA adapter, or from running a forward pass.
public enum LlamaError: Error, CustomStringConvertible, Equatable {
    // MARK: - Model files
    case unsupportedArchitecture(found: String)
    case missingMetadata(key: String)
    case invalidMetadata(key: String, reason: String)
    case missingTensor(name: String)
    case tensorShapeMismatch(name: String, expected: [Int], found: [Int])
    case unsupportedTensorType(name: String, type: String)
    /// A tensor the file holds that this decoder would have to use but does not implement.
    case unsupportedTensor(name: String)
    case nonFiniteWeight(tensor: String, index: Int)
    case layerCountOutOfRange(requested: Int, available: Int)
    case notANormTensor(name: String, layerCount: Int)

    // MARK: - LoRA adapters
    case adapterNotFound(path: String)
    case notAnAdapter(path: String, reason: String)
    /// An adapter's file (`path`) that cannot be read as what it should be; `reason` has the offset or field.
    case adapterFileInvalid(path: String, reason: String)
    case adapterArchitectureMismatch(expected: String, found: String)
    case adapterUnsupported(feature: String)
    case adapterMissingMetadata(key: String)
    case adapterUnknownTensor(name: String)
    /// A PEFT `target_modules` entry (or regex) that selects no adaptable layer of the
    /// base, or selects `selects`, a module this decoder does not adapt (lm_head, ...).
    case adapterUnknownTarget(entry: String, selects: String?)
    /// A PEFT tensor on a module that `target_modules` / `layers_to_transform` do not select.
    case adapterTensorNotTargeted(tensor: String)
    /// A tensor whose rank differs from the config's `r` / `rank_pattern`.
    case adapterRankMismatch(tensor: String, declared: Int, found: Int)
    case adapterMissingHalf(tensor: String, missing: String)
    case adapterShapeMismatch(tensor: String, expected: [Int], found: [Int])
    case adapterNonFinite(tensor: String, index: Int)
    case duplicateAdapterName(String)

    // MARK: - Forward pass
    case emptyInput
    case contextOverflow(needed: Int, contextLength: Int)
    case tokenOutOfRange(id: Int32, position: Int, vocabSize: Int)
    case embeddingWidthMismatch(position: Int, expected: Int, found: Int)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(found):
            return "unsupported model architecture '\(found)' (supported: \(ModelArchitecture.supportedNames))"
        case let .missingMetadata(key):
            return "GGUF metadata key '\(key)' is missing"
        case let .invalidMetadata(key, reason):
            return "GGUF metadata key '\(key)' is invalid: \(reason)"
        case let .missingTensor(name):
            return "tensor '\(name)' is missing from the model"
        case let .tensorShapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case let .unsupportedTensorType(name, type):
            return "tensor '\(name)' has unsupported type \(type)"
        case let .unsupportedTensor(name):
            return "tensor '\(name)' is present but not supported by this decoder"
        case let .nonFiniteWeight(tensor, index):
            return "tensor '\(tensor)' holds a NaN or Inf (first at element/block \(index))"
        case let .layerCountOutOfRange(requested, available):
            return "cannot run the first \(requested) decoder layers: the model has \(available) (expected 1...\(available))"
        case let .notANormTensor(name, layerCount):
            return "'\(name)' is not an RMSNorm weight of this model (blk.N.attn_norm.weight, blk.N.ffn_norm.weight with N < \(layerCount), or output_norm.weight)"
        case let .adapterNotFound(path):
            return "LoRA adapter not found at \(path) (expected a PEFT directory or a GGUF file)"
        case let .notAnAdapter(path, reason):
            return "\(path) is not a LoRA adapter: \(reason)"
        case let .adapterFileInvalid(path, reason):
            return "\(path): \(reason)"
        case let .adapterArchitectureMismatch(expected, found):
            return "LoRA adapter is for architecture '\(found)', the base model is '\(expected)'"
        case let .adapterUnsupported(feature):
            return "LoRA adapter uses an unsupported feature: \(feature)"
        case let .adapterMissingMetadata(key):
            return "LoRA adapter is missing '\(key)'"
        case let .adapterUnknownTensor(name):
            return "LoRA adapter tensor '\(name)' does not name a supported target (q, k, v, o, gate, up, down of a base layer)"
        case let .adapterUnknownTarget(entry, selects):
            let supported = LoRATarget.allCases.map(\.peftModule).joined(separator: ", ")
            if let selects {
                return "LoRA adapter target_modules entry '\(entry)' selects '\(selects)', which is not a supported target (\(supported))"
            }
            return "LoRA adapter target_modules entry '\(entry)' does not name a supported target of this base (\(supported) of an existing layer)"
        case let .adapterTensorNotTargeted(tensor):
            return "LoRA adapter tensor '\(tensor)' lies on a module that adapter_config.json does not target"
        case let .adapterRankMismatch(tensor, declared, found):
            return "LoRA adapter tensor '\(tensor)' has rank \(found), but adapter_config.json declares rank \(declared) for it"
        case let .adapterMissingHalf(tensor, missing):
            return "LoRA adapter tensor '\(tensor)' has no matching \(missing)"
        case let .adapterShapeMismatch(tensor, expected, found):
            return "LoRA adapter tensor '\(tensor)' has shape \(found), expected \(expected) for this base model"
        case let .adapterNonFinite(tensor, index):
            return "LoRA adapter tensor '\(tensor)' holds a NaN or Inf (first at element \(index))"
        case let .duplicateAdapterName(name):
            return "a LoRA adapter named '\(name)' is already loaded"
        case .emptyInput:
            return "the forward pass got no input positions"
        case let .contextOverflow(needed, contextLength):
            return "the sequence needs \(needed) positions but the model's context is \(contextLength)"
        case let .tokenOutOfRange(id, position, vocabSize):
            return "token id \(id) at position \(position) is outside the vocabulary (size \(vocabSize))"
        case let .embeddingWidthMismatch(position, expected, found):
            return "input embedding at position \(position) has \(found) values, the model width is \(expected)"
        case let .invalidArgument(message):
            return message
        }
    }
}
