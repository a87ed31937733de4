// One structured JSON line per request (and for service events) through swift-log.
// `JSONLineLogHandler` renders the message and metadata as a single JSON object per
// line, so log shippers need no parsing rules. Install it with
// `LoggingSystem.bootstrap { JSONLineLogHandler(label: $0) }` in the executable.
import Foundation
import HTTP
import Logging
import Synchronization

public struct JSONLineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let sink: @Sendable (String) -> Void

    /// Writes to stdout by default; `sink` receives each line (without newline) otherwise.
    public init(label: String, sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.sink = sink ?? { line in StdoutLines.shared.write(line) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var members: [(String, JSONValue)] = [
            ("ts", .number((Date().timeIntervalSince1970 * 1000).rounded() / 1000)),
            ("level", .string(event.level.rawValue)),
            ("logger", .string(label)),
            ("msg", .string(event.message.description)),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { members.append((key, Self.json(merged[key]!))) }
        sink(JSONValue.object(members).serialized())
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

/// Serializes whole lines to stdout so concurrent requests never interleave a line.
final class StdoutLines: Sendable {
    static let shared = StdoutLines()
    private let lock = Mutex(())
    func write(_ line: String) {
        lock.withLock { _ in
            let bytes = Array((line + "\n").utf8)
            bytes.withUnsafeBytes { _ = Foundation.write(1, $0.baseAddress, $0.count) }
        }
    }
}
