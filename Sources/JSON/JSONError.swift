// What the parser found wrong, and where: byte offsets count from the start of the text
// (plus the caller's base offset, for JSON embedded in a larger file).

public enum JSONError: Error, Equatable, CustomStringConvertible {
    /// The text breaks the grammar (or a limit: nesting depth, a number beyond Double's
    /// range, invalid UTF-8) at byte `offset`.
    case syntax(reason: String, offset: Int)
    /// An object repeats `key`: `offset` is the repeated key's opening quote, `end` the
    /// byte after its closing quote (where the parser noticed).
    case duplicateKey(key: String, offset: Int, end: Int)

    /// Where the error was noticed (for duplicates, just past the repeated key).
    public var offset: Int {
        switch self {
        case let .syntax(_, offset): return offset
        case let .duplicateKey(_, _, end): return end
        }
    }

    public var reason: String {
        switch self {
        case let .syntax(reason, _): return reason
        case let .duplicateKey(key, _, _): return "duplicate member \"\(key)\""
        }
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
