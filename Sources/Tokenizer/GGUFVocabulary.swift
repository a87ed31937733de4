// Reading `tokenizer.ggml.*` metadata from a GGUF file (keys as in ggml's
// docs/gguf.md and llama.cpp's llama-arch.cpp LLM_KV_TOKENIZER_*). A key that is
// present with the wrong type is an error naming the key; special ids outside
// 0..<Int32.max (GGUF files use 0xFFFFFFFF for "none") count as absent, and the
// tokenizer then falls back to llama.cpp's defaults.
import ModelFiles

extension Vocabulary {
    /// Metadata keys read from GGUF.
    public enum Key {
        public static let model = "tokenizer.ggml.model"
        public static let pre = "tokenizer.ggml.pre"
        public static let tokens = "tokenizer.ggml.tokens"
        public static let scores = "tokenizer.ggml.scores"
        public static let tokenType = "tokenizer.ggml.token_type"
        public static let merges = "tokenizer.ggml.merges"
        public static let bosID = "tokenizer.ggml.bos_token_id"
        public static let eosID = "tokenizer.ggml.eos_token_id"
        public static let unknownID = "tokenizer.ggml.unknown_token_id"
        public static let paddingID = "tokenizer.ggml.padding_token_id"
        public static let separatorID = "tokenizer.ggml.seperator_token_id"
        public static let addBOS = "tokenizer.ggml.add_bos_token"
        public static let addEOS = "tokenizer.ggml.add_eos_token"
        public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    }

    /// Reads the vocabulary stored in a GGUF file's metadata.
    public init(gguf: GGUFFile) throws {
        guard let value = gguf.metadata[Key.model] else { throw TokenizerError.missingKey(Key.model) }
        guard let name = value.stringValue else {
            throw TokenizerError.invalidValue(key: Key.model, reason: "expected a string, found \(value.type)")
        }
        guard let kind = TokenizerKind(rawValue: name) else { throw TokenizerError.unsupportedModel(name) }

        func stringArray(_ key: String, required: Bool) throws -> [String]? {
            guard let value = gguf.metadata[key] else {
                if required { throw TokenizerError.missingKey(key) }
                return nil
            }
            guard case let .array(.string, values) = value else {
                throw TokenizerError.invalidValue(key: key, reason: "expected an array of strings, found \(Self.describe(value))")
            }
            return values.compactMap(\.stringValue)
        }
        func numberArray(_ key: String) throws -> [GGUFValue]? {
            guard let value = gguf.metadata[key] else { return nil }
            guard case let .array(type, values) = value, type != .string, type != .array, type != .bool else {
                throw TokenizerError.invalidValue(key: key, reason: "expected an array of numbers, found \(Self.describe(value))")
            }
            return values
        }
        func id(_ key: String) throws -> Int32? {
            guard let value = gguf.metadata[key] else { return nil }
            guard let v = value.intValue else {
                throw TokenizerError.invalidValue(key: key, reason: "expected an integer, found \(value.type)")
            }
            return (0...Int(Int32.max)).contains(v) ? Int32(v) : nil
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = gguf.metadata[key] else { return nil }
            guard let b = value.boolValue else {
                throw TokenizerError.invalidValue(key: key, reason: "expected a bool, found \(value.type)")
            }
            return b
        }

        let tokens = try stringArray(Key.tokens, required: true) ?? []
        let scores = try numberArray(Key.scores)?.map { Float($0.doubleValue ?? 0) } ?? []
        let types = try numberArray(Key.tokenType)?.map { v -> TokenType in
            guard let code = v.intValue, let c32 = Int32(exactly: code) else { return .undefined }
            return TokenType(code: c32)
        } ?? []
        let merges = try stringArray(Key.merges, required: kind == .byteLevelBPE) ?? []
        var preName: String? = nil
        if let value = gguf.metadata[Key.pre] {
            guard let s = value.stringValue else {
                throw TokenizerError.invalidValue(key: Key.pre, reason: "expected a string, found \(value.type)")
            }
            preName = s
        }
        self.init(kind: kind, preTokenizer: preName, tokens: tokens, scores: scores, types: types, merges: merges,
                  bosID: try id(Key.bosID), eosID: try id(Key.eosID), unknownID: try id(Key.unknownID),
                  paddingID: try id(Key.paddingID), separatorID: try id(Key.separatorID),
                  addBOS: try flag(Key.addBOS), addEOS: try flag(Key.addEOS),
                  addSpacePrefix: try flag(Key.addSpacePrefix))
    }

    private static func describe(_ value: GGUFValue) -> String {
        if case let .array(type, _) = value { return "an array of \(type)" }
        return "\(value.type)"
    }
}

extension Tokenizer {
    /// Builds the tokenizer stored in a GGUF file's metadata.
    public init(gguf: GGUFFile) throws {
        try self.init(vocabulary: Vocabulary(gguf: gguf))
    }

    /// Opens a GGUF file and builds its tokenizer.
    public init(ggufPath path: String) throws {
        try self.init(gguf: GGUFFile(path: path))
    }
}
