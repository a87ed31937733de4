// Shared plumbing for source readers: hashing inputs, reading JSON lines with
// file/line context, and the strict-or-lenient policy for bad records.
import Foundation
import Support

/// How readers treat malformed records: fail on the first (default) or skip and count.
struct RecordPolicy {
    var lenient: Bool
    /// The format being read, for the "check --format" explanation of a bad first record.
    var format: SourceFormat? = nil

    /// Throws `error` in strict mode; records it in `log` in lenient mode. When the record
    /// is its file's `first` and the file looks like another format, throws `wrongFormat`
    /// in either mode.
    func reject(_ error: RecSysError, reason: String, at location: String, log: inout SkipLog, first: Bool = false) throws {
        if first, let format, let (path, line) = error.fileLocation {
            let explained = FormatSniffing.explain(error, path: path, line: line, expected: format)
            if explained != error { throw explained }
        }
        if !lenient { throw error }
        log.record(reason, at: location)
    }

    /// The object on one line of a JSON-lines file (`value` as `SourceReading.forEachJSONLine`
    /// passes it), or nil once the line has been rejected as malformed: JSON that does not
    /// parse, or a value that is not an object.
    func object(_ value: Result<Any, Error>, path: String, line: Int, reason: String, at location: String,
                log: inout SkipLog, first: Bool) throws -> [String: Any]? {
        let message: String
        switch value {
        case let .success(any):
            if let object = any as? [String: Any] { return object }
            message = "not a JSON object"
        case let .failure(error):
            message = SourceReading.parseMessage(error)
        }
        try reject(.malformedRecord(path: path, line: line, message: message), reason: reason, at: location, log: &log, first: first)
        return nil
    }
}

extension RecSysError {
    /// The file and line a record-level error points at.
    var fileLocation: (path: String, line: Int)? {
        switch self {
        case let .malformedRecord(path, line, _), let .missingField(path, line, _), let .unknownItem(path, line, _):
            return (path, line)
        case let .badHeader(path, _): return (path, 1)
        default: return nil
        }
    }
}

enum SourceReading {
    /// Hash and size of a source file (of its bytes on disk, compressed or not).
    static func describe(role: String, path: String) throws -> SourceFile {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RecSysError.cannotRead(path: path, message: "no such readable file")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let hash: String
        do { hash = try SHA256.hex(ofFile: path) } catch { throw RecSysError.cannotRead(path: path, message: "\(error)") }
        return SourceFile(role: role, path: (path as NSString).lastPathComponent, sha256: hash, bytes: size)
    }

    /// Streams a JSON-lines file (gzip or plain); blank lines are ignored. Throws `emptyFile` when no record was seen.
    static func forEachJSONLine(path: String, _ body: (_ line: Int, _ value: Result<Any, Error>) throws -> Void) throws {
        var records = 0
        do {
            try Gzip.forEachLine(path: path) { n, bytes in
                if bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
                records += 1
                do {
                    let v = try JSONText.parse(bytes)
                    try body(n, .success(v))
                } catch let e as RecSysError {
                    throw e
                } catch {
                    try body(n, .failure(error))
                }
            }
        } catch let e as SupportError {
            throw RecSysError.cannotRead(path: path, message: e.description)
        }
        if records == 0 { throw RecSysError.emptyFile(path: path) }
    }

    /// Reads a whole (possibly gzip) file.
    static func readAll(path: String) throws -> Data {
        let data: Data
        do { data = try Gzip.readAll(path: path) } catch { throw RecSysError.cannotRead(path: path, message: "\(error)") }
        if data.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) { throw RecSysError.emptyFile(path: path) }
        return data
    }

    /// A short message for a JSON parse failure.
    static func parseMessage(_ error: Error) -> String {
        let ns = error as NSError
        if let debug = ns.userInfo["NSDebugDescription"] as? String { return "invalid JSON (\(debug))" }
        return "invalid JSON"
    }
}
