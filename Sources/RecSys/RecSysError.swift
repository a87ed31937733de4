// The RecSys module's typed error. Every case carries what was found and
// where (file, 1-based line, field, id) so that a bad input file is fixed by
// reading the message alone.

/// Errors from dataset preparation, loading, evaluation and SASRec.
public enum RecSysError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, message: String)
    case emptyFile(path: String)
    case malformedRecord(path: String, line: Int, message: String)
    case missingField(path: String, line: Int, field: String)
    case unknownItem(path: String, line: Int, itemID: String)
    case badHeader(path: String, message: String)
    case unknownFormat(String)
    case emptyDataset(reason: String)
    case invalidDataset(path: String, line: Int, message: String)
    case invalidArgument(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case mismatchedRuns(String)
    /// `--out` names something that is not a dataset directory; nothing was written or deleted.
    case wontReplace(path: String, found: String)
    /// The first record or header failed and the file looks like another input format.
    case wrongFormat(path: String, line: Int, expected: String, found: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, message): return "cannot read \(path): \(message)"
        case let .emptyFile(path): return "\(path): the file is empty (no records)"
        case let .malformedRecord(path, line, message): return "\(path):\(line): malformed record: \(message)"
        case let .missingField(path, line, field): return "\(path):\(line): missing field '\(field)'"
        case let .unknownItem(path, line, itemID): return "\(path):\(line): unknown item id '\(itemID)' (not in the item file)"
        case let .badHeader(path, message): return "\(path):1: bad header: \(message)"
        case let .unknownFormat(name): return "unknown dataset format '\(name)' (expected amazon2018, lcrec or recbole)"
        case let .emptyDataset(reason): return "no data left: \(reason)"
        case let .invalidDataset(path, line, message): return "\(path):\(line): invalid dataset file: \(message)"
        case let .invalidArgument(message): return message
        case let .shapeMismatch(name, expected, found): return "tensor \(name): expected shape \(expected), found \(found)"
        case let .mismatchedRuns(message): return "cannot compare runs: \(message)"
        case let .wrongFormat(path, line, expected, found):
            return "\(path):\(line): not \(expected) input: the file starts with \(found); check --format"
        case let .wontReplace(path, found): return "\(path): refusing to replace \(found); give a new path, an empty directory or an earlier dataset directory"
        }
    }
}
