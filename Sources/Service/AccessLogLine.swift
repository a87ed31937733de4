// The access-log line of one request, rendered straight to bytes. It carries the same
// JSON object that `JSONLineLogHandler` writes for `logger.info("request", metadata:)`
// (same keys, same order, same values), without building a swift-log metadata
// dictionary, sorting its keys and appending to a String per field: on /healthz that
// path was half of the server's own (non-kernel) time.
import Foundation
import JSON
import Logging

/// The fields of one access-log line.
struct AccessLogRecord {
    var requestID: String
    var remote: String
    var method: String
    var path: String
    var route: String
    var status: Int
    var durationSeconds: Double
    var bytesIn: Int
    var bytesOut: Int
    var userAgent: String

    /// The same fields as swift-log metadata, for handlers other than `JSONLineLogHandler`.
    var metadata: Logger.Metadata {
        [
            "request_id": .string(requestID),
            "remote": .string(remote),
            "method": .string(method),
            "path": .string(path),
            "route": .string(route),
            "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((durationSeconds * 1e6).rounded() / 1e3),
            "bytes_in": .stringConvertible(bytesIn),
            "bytes_out": .stringConvertible(bytesOut),
            "user_agent": .string(userAgent),
        ]
    }

    /// The JSON line (no newline) into `out`. Keys after "msg" are sorted, as the
    /// handler sorts metadata keys; milliseconds keep three decimals, as the handler's
    /// rounding does.
    func render(label: String, unixSeconds: Double, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"ts":"#.utf8)
        AccessLogRecord.appendFixed3(thousandths: Int64((unixSeconds * 1000).rounded()), into: &out)
        out.append(contentsOf: #","level":"info","logger":"#.utf8)
        JSONString.write(label, into: &out)
        out.append(contentsOf: #","msg":"request","bytes_in":"#.utf8)
        JSONNumber.write(Int64(bytesIn), into: &out)
        out.append(contentsOf: #","bytes_out":"#.utf8)
        JSONNumber.write(Int64(bytesOut), into: &out)
        out.append(contentsOf: #","duration_ms":"#.utf8)
        AccessLogRecord.appendFixed3(thousandths: Int64((durationSeconds * 1e6).rounded()), into: &out)
        out.append(contentsOf: #","method":"#.utf8)
        JSONString.write(method, into: &out)
        out.append(contentsOf: #","path":"#.utf8)
        JSONString.write(path, into: &out)
        out.append(contentsOf: #","remote":"#.utf8)
        JSONString.write(remote, into: &out)
        out.append(contentsOf: #","request_id":"#.utf8)
        JSONString.write(requestID, into: &out)
        out.append(contentsOf: #","route":"#.utf8)
        JSONString.write(route, into: &out)
        out.append(contentsOf: #","status":"#.utf8)
        JSONNumber.write(Int64(status), into: &out)
        out.append(contentsOf: #","user_agent":"#.utf8)
        JSONString.write(userAgent, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `thousandths / 1000` with exactly three decimals ("12.034"): a JSON number equal
    /// to the handler's `(x * 1000).rounded() / 1000`.
    static func appendFixed3(thousandths: Int64, into out: inout [UInt8]) {
        if thousandths < 0 { out.append(UInt8(ascii: "-")) }
        let m = Int64(thousandths.magnitude)
        JSONNumber.write(m / 1000, into: &out)
        let fraction = Int(m % 1000)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}

extension JSONLineLogHandler {
    /// Writes `record` as the handler's "request" line. Returns false when this handler
    /// carries metadata of its own (then the caller logs through swift-log, which merges it).
    func logAccess(_ record: AccessLogRecord) -> Bool {
        guard metadata.isEmpty else { return false }
        var line: [UInt8] = []
        line.reserveCapacity(320)
        record.render(label: label, unixSeconds: Date().timeIntervalSince1970, into: &line)
        writeAccessLine(line)
        return true
    }
}
