// TrainingOpsError: the TrainingOps module's one error enum. Each case carries what was found.
// The HDRec trainer's own errors (bad resume directory, mismatched data, ...) are Training's
// HDRecTrainingError.

/// Errors raised by the training ops on bad input (never on programmer error).
public enum TrainingOpsError: Error, CustomStringConvertible, Equatable {
    /// A supervised target is outside 0..<classes.
    case targetOutOfRange(row: Int, target: Int, classes: Int)
    /// A token id is outside the embedding table.
    case tokenOutOfRange(position: Int, token: Int, vocabulary: Int)
    /// A row injection points outside the sequence.
    case positionOutOfRange(index: Int, position: Int, count: Int)
    /// A named parameter tensor was not registered.
    case unknownParameter(name: String)
    /// A parameter name was registered twice.
    case duplicateParameter(name: String)
    /// A buffer had the wrong number of elements.
    case sizeMismatch(what: String, expected: Int, found: Int)
    /// A sequence's valid range does not fit its padded length.
    case badSequenceRange(sequence: Int, start: Int, length: Int, padded: Int)

    public var description: String {
        switch self {
        case let .targetOutOfRange(row, target, classes):
            return "target \(target) at row \(row) is outside 0..<\(classes)"
        case let .tokenOutOfRange(position, token, vocabulary):
            return "token \(token) at position \(position) is outside the vocabulary of \(vocabulary)"
        case let .positionOutOfRange(index, position, count):
            return "injected row \(index) targets position \(position), outside 0..<\(count)"
        case let .unknownParameter(name):
            return "no parameter tensor named '\(name)'"
        case let .duplicateParameter(name):
            return "parameter tensor '\(name)' is registered twice"
        case let .sizeMismatch(what, expected, found):
            return "\(what): expected \(expected) elements, found \(found)"
        case let .badSequenceRange(sequence, start, length, padded):
            return "sequence \(sequence): valid range \(start)..<\(start + length) does not fit padded length \(padded)"
        }
    }
}
