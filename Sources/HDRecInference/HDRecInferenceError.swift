// The one error type of the HDRecInference module. Every case carries what was
// found (file, field, item id, position, ...) so that a bad bundle or a bad
// request is diagnosed from the message alone, never by a crash.
import Foundation

public enum HDRecInferenceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two score rows that must have the same length do not.
    case scoreLengthMismatch(text: Int, id: Int)
    /// A fusion name that is not one of `FusionMethod.allCases`.
    case unknownFusion(String)
    /// A parameter outside its documented range (`alpha` in [0, 1], `temperature` > 0, ...).
    case invalidParameter(name: String, value: String, expected: String)
    /// An item index outside 0..<itemCount.
    case itemOutOfRange(index: Int, itemCount: Int)
    /// A history with no items.
    case emptyHistory
    /// The tokenizer failed on a piece of prompt text.
    case tokenization(text: String, underlying: String)
    /// A tensor in a heads file is missing.
    case missingTensor(file: String, name: String)
    /// A tensor has the wrong shape.
    case tensorShape(file: String, name: String, expected: [Int], found: [Int])
    /// A tensor has non-finite values or an unsupported dtype.
    case tensorContent(file: String, name: String, problem: String)
    /// A bundle file is missing.
    case missingFile(path: String)
    /// A bundle file could not be parsed; `field` names what was wrong.
    case malformedFile(path: String, field: String, problem: String)
    /// A line of a JSONL file could not be parsed.
    case malformedLine(path: String, line: Int, problem: String)
    /// A file's sha256 differs from the one in the manifest.
    case checksumMismatch(path: String, expected: String, found: String)
    /// Two parts of a bundle disagree (e.g. heads vs catalog item count).
    case inconsistent(field: String, expected: String, found: String)
    /// A file a contained bundle load would open resolves outside the root
    /// (`BundleContainment`); `link` is the symbolic link that leads out, when one does.
    case outsideRoot(path: String, resolved: String, link: String?, linkTarget: String?, root: String)
    /// An item id string not in the catalog.
    case unknownItemIDs([String])
    /// The decoder reported an error during a pass.
    case decoder(pass: String, underlying: String)

    public var description: String {
        switch self {
        case let .scoreLengthMismatch(t, i):
            return "score rows differ in length: text pass has \(t) items, ID pass has \(i)"
        case let .unknownFusion(name):
            return "unknown fusion '\(name)' (expected one of: \(FusionMethod.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) = \(value): expected \(expected)"
        case let .itemOutOfRange(index, count):
            return "item index \(index) is outside 0..<\(count)"
        case .emptyHistory:
            return "the history is empty: at least one item is needed"
        case let .tokenization(text, underlying):
            return "cannot tokenize \"\(text.prefix(60))\": \(underlying)"
        case let .missingTensor(file, name):
            return "\(file): missing tensor '\(name)'"
        case let .tensorShape(file, name, expected, found):
            return "\(file): tensor '\(name)' has shape \(found), expected \(expected)"
        case let .tensorContent(file, name, problem):
            return "\(file): tensor '\(name)': \(problem)"
        case let .missingFile(path):
            return "missing file \(path)"
        case let .malformedFile(path, field, problem):
            return "\(path): field '\(field)': \(problem)"
        case let .malformedLine(path, line, problem):
            return "\(path):\(line): \(problem)"
        case let .checksumMismatch(path, expected, found):
            return "\(path): sha256 is \(found), the manifest says \(expected)"
        case let .inconsistent(field, expected, found):
            return "inconsistent \(field): expected \(expected), found \(found)"
        case let .outsideRoot(path, resolved, link, target, root):
            let how: String
            if let link, let target {
                how = link == path ? "is a symbolic link to \(target)" : "resolves to \(resolved) (\(link) is a symbolic link to \(target))"
            } else {
                how = "resolves to \(resolved)"
            }
            return "\(path) \(how), outside the adapter root \(root): a bundle's files must lie under it"
        case let .unknownItemIDs(ids):
            return "unknown item ids: \(ids.prefix(20).joined(separator: ", "))\(ids.count > 20 ? " (and \(ids.count - 20) more)" : "")"
        case let .decoder(pass, underlying):
            return "decoder failed during the \(pass) pass: \(underlying)"
        }
    }
}
