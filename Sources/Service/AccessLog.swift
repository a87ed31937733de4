// One structured JSON line per request (and for service events) through swift-log.
// `JSONLineLogHandler` renders the message and metadata as a single JSON object per
// line, so log shippers need no parsing rules. Install it with
// `LoggingSystem.bootstrap { JSONLineLogHandler(label: $0) }` in the executable.
import Foundation
import HTTP
import JSON
import Logging
import Synchronization

public struct JSONLineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    private let sink: @Sendable (String) -> Void
    private let bufferedSink: @Sendable (String) -> Void
    /// Where access lines rendered as bytes go (`logAccess`): stdout's buffer, or `sink`.
    private let accessSink: @Sendable ([UInt8]) -> Void

    /// Writes to stdout by default; `sink` receives each line (without newline) otherwise.
    public init(label: String, sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        if let sink {
            self.sink = sink
            self.bufferedSink = sink
            self.accessSink = { bytes in sink(String(decoding: bytes, as: UTF8.self)) }
        } else {
            self.sink = { line in StdoutLines.shared.write(line) }
            self.bufferedSink = { line in StdoutLines.shared.write(line, buffered: true) }
            self.accessSink = { bytes in StdoutLines.shared.write(bytes: bytes) }
        }
    }

    func writeAccessLine(_ bytes: [UInt8]) { accessSink(bytes) }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.isEmpty ? (event.metadata ?? [:]) : metadata.merging(event.metadata ?? [:]) { $1 }
        // Written straight into one string rather than through a JSONValue tree: this runs
        // once per request, and on /healthz it was a quarter of the server's time.
        var line = "{\"ts\":"
        line.reserveCapacity(384)
        line += JSONNumber((Date().timeIntervalSince1970 * 1000).rounded() / 1000)?.text ?? "null"
        line += ",\"level\":"
        JSONString.write(event.level.rawValue, into: &line)
        line += ",\"logger\":"
        JSONString.write(label, into: &line)
        line += ",\"msg\":"
        let message = event.message.description
        JSONString.write(message, into: &line)
        for key in merged.keys.sorted() {
            line += ","
            JSONString.write(key, into: &line)
            line += ":"
            Self.write(merged[key]!, into: &line)
        }
        line += "}"
        if event.level == .info, message == "request" { bufferedSink(line) } else { sink(line) }
    }

    private static func write(_ value: Logger.MetadataValue, into line: inout String) {
        switch value {
        case .string(let s): JSONString.write(s, into: &line)
        case .stringConvertible(let c):
            if let d = c as? Double { line += JSONNumber(d)?.text ?? "null" }
            else if let i = c as? Int { line += String(i) }
            else { JSONString.write(c.description, into: &line) }
        case .array, .dictionary: line += json(value).serialized()
        }
    }

    static func json(_ v: Logger.MetadataValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(s)
        case .stringConvertible(let c):
            if let d = c as? Double { return .number(d) }
            if let i = c as? Int { return .number(Double(i)) }
            return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(d.keys.sorted().map { ($0, json(d[$0]!)) })
        }
    }
}

/// Writes whole lines to stdout, never interleaving two. Access-log lines ("request",
/// info) are buffered and written in blocks of up to 64 KiB, at least every 200 ms, and
/// at exit: one write(2) per request would cap a probe-heavy server's throughput.
/// Everything else (startup, swaps, warnings, errors) is written at once.
final class StdoutLines: Sendable {
    static let shared = StdoutLines()
    private static let blockBytes = 64 * 1024
    private let buffer = Mutex<[UInt8]>([])

    private init() {
        let flusher = Thread {
            while true {
                usleep(200_000)
                StdoutLines.shared.flush()
            }
        }
        flusher.name = "stdout-flush"
        flusher.start()
        atexit { StdoutLines.shared.flush() }
    }

    func write(_ line: String, buffered: Bool = false) {
        buffer.withLock { pending in
            pending.append(contentsOf: line.utf8)
            pending.append(10)
            if !buffered || pending.count >= StdoutLines.blockBytes { StdoutLines.writeAll(&pending) }
        }
    }

    /// Appends one buffered line (no newline in `bytes`).
    func write(bytes: [UInt8]) {
        buffer.withLock { pending in
            pending.append(contentsOf: bytes)
            pending.append(10)
            if pending.count >= StdoutLines.blockBytes { StdoutLines.writeAll(&pending) }
        }
    }

    /// Writes whatever is buffered.
    func flush() {
        buffer.withLock { StdoutLines.writeAll(&$0) }
    }

    private static func writeAll(_ pending: inout [UInt8]) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue } else { break } }
                offset += n
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}
