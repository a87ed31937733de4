// Helpers for the third-party source files `hdrec prepare` converts (LC-Rec and Amazon
// 2018 dumps) and the number format of the reports this module writes.
//
// Source records are read with Foundation's JSONSerialization, on purpose, and this is
// the one place in Sources that uses Foundation's JSON (here, LCRecReader and
// FormatSniffing, all in RecSys/Data): which records a lenient reader accepts (repeated
// keys, numbers rounded through Double) decides what a prepared dataset holds and so its
// fingerprint, and switching to the strict JSON module would silently change prepared
// datasets. Everything HDRec itself writes and reads back (dataset files, manifests,
// catalogs, recipes, run files) goes through the JSON module: JSONValue, or
// JSONDocumentEncoder/JSONDocumentDecoder for Codable types. Do not add Foundation
// JSONEncoder/JSONDecoder/JSONSerialization uses elsewhere.
import Foundation

enum JSONText {
    /// A number as JSON (non-finite values become null).
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.10g", x)
    }

    /// Parses one JSON value from bytes.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    /// A scalar JSON value as text: strings as-is, numbers in integer form when integral.
    static func scalarText(_ value: Any) -> String? {
        if let s = value as? String { return s }
        if let n = value as? NSNumber {
            let d = n.doubleValue
            if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
            return n.stringValue
        }
        return nil
    }

    /// A text field that may be a string, a list of strings (joined by `separator`) or absent.
    static func textField(_ value: Any?, separator: String) -> String {
        guard let value else { return "" }
        if let s = value as? String { return s }
        if let list = value as? [Any] {
            return list.compactMap { v -> String? in
                if let inner = v as? [Any] { return inner.compactMap { scalarText($0) }.joined(separator: separator) }
                return scalarText(v)
            }.filter { !$0.isEmpty }.joined(separator: separator)
        }
        return scalarText(value) ?? ""
    }

    /// The 1-based line where `"key"` first appears in a whole-file JSON text, for error messages.
    static func lineOfKey(_ key: String, in data: Data) -> Int {
        let needle = Array(("\"" + key + "\"").utf8)
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int in
            guard needle.count <= raw.count else { return 1 }
            var line = 1
            var i = 0
            while i + needle.count <= raw.count {
                if raw[i] == 10 { line += 1 }
                if raw[i] == needle[0] {
                    var match = true
                    for j in 1..<needle.count where raw[i + j] != needle[j] { match = false; break }
                    if match { return line }
                }
                i += 1
            }
            return 1
        }
    }

    /// The 1-based line and column of a whole-file JSON parse error in `data`, from the
    /// byte offset Foundation reports ("... around character N." or "around line L,
    /// column C."); an unexpected end of file points past the last byte. Nil when the
    /// message carries no position.
    static func location(ofParseError error: Error, in data: Data) -> (line: Int, column: Int)? {
        let message = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? ""
        if let line = number(after: "around line ", in: message), let column = number(after: "column ", in: message) {
            return (line, column)
        }
        var offset: Int
        if let n = number(after: "around character ", in: message) {
            offset = n
            // The parser skips a UTF-8 byte order mark and counts from after it.
            if data.starts(with: [0xEF, 0xBB, 0xBF]) { offset += 3 }
        } else if message.contains("end of file") || message.contains("end of data") {
            offset = data.count
        } else {
            return nil
        }
        return lineAndColumn(ofByte: offset, in: data)
    }

    /// The 1-based line and column (in characters) of byte `offset` in UTF-8 `data`.
    static func lineAndColumn(ofByte offset: Int, in data: Data) -> (line: Int, column: Int) {
        let bytes = [UInt8](data.prefix(max(0, offset)))
        var line = 1, lineStart = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            line += 1
            lineStart = i + 1
        }
        let column = String(decoding: bytes[lineStart...], as: UTF8.self).count + 1
        return (line, column)
    }

    private static func number(after prefix: String, in text: String) -> Int? {
        guard let r = text.range(of: prefix) else { return nil }
        return Int(text[r.upperBound...].prefix { $0.isNumber })
    }
}
