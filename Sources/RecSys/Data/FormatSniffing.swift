// Recognising which input format a file is in from its first non-blank line,
// so that an error on the first record or header of a file given under the
// wrong `--format` says so ("this looks like recbole input; check --format")
// instead of only reporting a malformed line. Used on the error path only: a
// file is never rejected for looking like another format, only explained.
import Foundation
import Support

enum FormatSniffing {
    /// The format a file looks like, and how it was recognised.
    struct Guess: Equatable {
        var format: SourceFormat
        var evidence: String
    }

    private struct Stop: Error {}

    /// Classifies the first non-blank line of `path`: a RecBole typed header (`name:token`
    /// cells), an Amazon 2018 JSON-lines record (`reviewerID` or `asin` keys), or a
    /// whole-file JSON object (LC-Rec: values are lists or objects, or the object spans
    /// lines). Nil when the line matches none of these or the file cannot be read.
    static func guess(path: String) -> Guess? {
        var first: [UInt8]?
        do {
            try Gzip.forEachLine(path: path) { _, bytes in
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
                first = Array(bytes)
                throw Stop()
            }
        } catch {}
        guard let first else { return nil }
        return guess(firstLine: first)
    }

    static func guess(firstLine bytes: [UInt8]) -> Guess? {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.trimmingCharacters(in: .whitespaces)
        if isRecBoleHeader(text) { return Guess(format: .recbole, evidence: "a RecBole typed TSV header") }
        guard text.hasPrefix("{") else { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return Guess(format: .lcrec, evidence: "a JSON document spanning several lines (LC-Rec)")
        }
        if object["reviewerID"] != nil { return Guess(format: .amazon2018, evidence: "Amazon 2018 review JSON lines") }
        if object["asin"] != nil { return Guess(format: .amazon2018, evidence: "Amazon 2018 metadata JSON lines") }
        if !object.isEmpty, object.values.allSatisfy({ $0 is [Any] || $0 is [String: Any] }) {
            return Guess(format: .lcrec, evidence: "a whole-file JSON object of ids (LC-Rec)")
        }
        return nil
    }

    /// `user_id:token\titem_id:token\t...`: every tab-separated cell is `name:type` with a RecBole type.
    static func isRecBoleHeader(_ text: String) -> Bool {
        let types: Set<Substring> = ["token", "token_seq", "float", "float_seq"]
        let cells = text.split(separator: "\t", omittingEmptySubsequences: false)
        return !cells.isEmpty && cells.allSatisfy { cell in
            let parts = cell.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && types.contains(parts[1])
        }
    }

    /// `error` unchanged, unless `path` looks like another format than `expected`: then a
    /// `wrongFormat` error at the same line. Lenient mode does not skip it: a whole file
    /// in the wrong format is not a few bad records.
    static func explain(_ error: RecSysError, path: String, line: Int, expected: SourceFormat) -> RecSysError {
        guard let g = guess(path: path), g.format != expected else { return error }
        return .wrongFormat(path: path, line: line, expected: expected.rawValue, found: "\(g.evidence), i.e. \(g.format.rawValue) input")
    }
}
