// What the parser found wrong, and where: byte offsets count from the start of the text
// (plus the caller's base offset, for JSON embedded in a larger file). Typed documents
// (JSONDocumentDecoder) add a third kind: well-formed JSON whose value does not fit the
// type read from it, named by its path in the file's own spelling.

public enum JSONError: Error, Equatable, CustomStringConvertible {
    /// The text breaks the grammar (or a limit: nesting depth, a number beyond Double's
    /// range, invalid UTF-8) at byte `offset`.
    case syntax(reason: String, offset: Int)
    /// An object repeats `key`: `offset` is the repeated key's opening quote, `end` the
    /// byte after its closing quote (where the parser noticed).
    case duplicateKey(key: String, offset: Int, end: Int)
    /// The value at `path` (e.g. `adapters.text.path`, `items[2].id`; "" for the whole
    /// document) does not fit the type decoded from it. `offset` is the opening quote of
    /// the key of the nearest object member holding it (array elements carry no offsets of
    /// their own), or of the document's first byte when no member encloses it.
    case document(path: String, problem: JSONDocumentProblem, offset: Int)
    /// A value at `path` that JSON cannot hold (a non-finite number) was given to
    /// JSONDocumentEncoder.
    case unencodable(path: String, reason: String)

    /// Where the error was noticed (for duplicates, just past the repeated key; 0 for
    /// values that were being written, not read).
    public var offset: Int {
        switch self {
        case let .syntax(_, offset): return offset
        case let .duplicateKey(_, _, end): return end
        case let .document(_, _, offset): return offset
        case .unencodable: return 0
        }
    }

    public var reason: String {
        switch self {
        case let .syntax(reason, _): return reason
        case let .duplicateKey(key, _, _): return "duplicate member \"\(key)\""
        case let .document(path, problem, _): return "\(path.isEmpty ? "the document" : "'\(path)'"): \(problem)"
        case let .unencodable(path, reason): return "\(path.isEmpty ? "the value" : "'\(path)'"): \(reason)"
        }
    }

    public var description: String {
        switch self {
        case .syntax, .duplicateKey: return "invalid JSON at byte \(offset): \(reason)"
        case .document: return "JSON at byte \(offset): \(reason)"
        case .unencodable: return "cannot write JSON: \(reason)"
        }
    }
}

/// Why a well-formed value does not fit the type decoded from it.
public enum JSONDocumentProblem: Sendable, Equatable, CustomStringConvertible {
    /// An object lacks a member the type requires.
    case missing
    /// null where a value of the named type is required.
    case null(expected: String)
    /// A value of another JSON type (`found` is a JSONValue.typeName: "string", ...).
    case typeMismatch(expected: String, found: String)
    /// A number the type cannot hold exactly: a fraction or out of range for an integer
    /// type, beyond Float's range for a Float.
    case unrepresentable(number: String, expected: String)
    /// The type refused the value (an enum's unknown raw value, a custom check).
    case invalid(String)

    public var description: String {
        switch self {
        case .missing: return "missing"
        case let .null(expected): return "null where \(expected) is needed"
        case let .typeMismatch(expected, found): return "expected \(expected), found \(found)"
        case let .unrepresentable(number, expected): return "\(number) is not an exact \(expected)"
        case let .invalid(reason): return reason
        }
    }
}
