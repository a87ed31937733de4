// What HDRec inference needs from a decoder: run one adapter over a batch of
// sequences and return the final-norm hidden state at each sequence's last
// position. A protocol so that the inference path (prompts → passes → IPL →
// fusion → top-k) is one piece of code whatever runs the decoder, and can be
// tested with a stand-in; `LlamaHDRecDecoder` is the real one.

/// Which of the two LoRA adapters a pass runs with.
public enum AdapterRole: String, Sendable, CaseIterable, Codable {
    case text, id
}

/// What enters the decoder at one position.
public enum DecoderInput: Sendable, Equatable {
    /// A vocabulary token (its base embedding row).
    case token(Int32)
    /// A ready-made input row of the decoder's width (projected SASRec rows,
    /// the `[SEQ]`/`[ALIGN]` rows). Arrays are shared, not copied, when repeated.
    case embedding([Float])
}

/// Runs the base decoder with one of the bundle's adapters.
public protocol HDRecDecoder: Sendable {
    /// The decoder width C.
    var width: Int { get }
    /// For each sequence, the hidden state after the final RMSNorm at its last
    /// position, as rows of one [B, C] buffer. Sequences are independent.
    /// - Parameters:
    ///   - spanEnds: per sequence, where each item's positions end (after its `[SEQ]`),
    ///     ascending: the boundaries at which a later prompt that extends this one
    ///     can take over its keys and values.
    ///   - sharedPrefixLength: the first positions are the same inputs in
    ///     every sequence of every call with this value (the instruction P_u), so an
    ///     implementation may compute their keys and values once and reuse them.
    func lastHiddenStates(_ sequences: [[DecoderInput]], spanEnds: [[Int]], sharedPrefixLength: Int,
                          adapter: AdapterRole) throws -> [Float]
}
