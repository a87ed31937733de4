// The access line rendered straight to bytes must be the JSON object that the swift-log
// path (`logger.info("request", metadata:)` through `JSONLineLogHandler`) writes.
import Foundation
import JSON
import Logging
import Synchronization
import Testing
@testable import Service

@Suite("access log")
struct AccessLogTests {
    private static let records = [
        AccessLogRecord(requestID: "88b1f8490171b72a0000000000000001", remote: "127.0.0.1:52418", method: "GET",
                        path: "/healthz", route: "/healthz", status: 200, durationSeconds: 0.000_084_4,
                        bytesIn: 0, bytesOut: 15, userAgent: "wrk"),
        AccessLogRecord(requestID: "rid", remote: "[::1]:9", method: "POST", path: "/items?q=caf\u{e9} \"x\"\\y",
                        route: "unmatched", status: 404, durationSeconds: 12.345_678_9, bytesIn: 1_048_576,
                        bytesOut: 0, userAgent: "tab\there\nnew\u{1}\u{7f} \u{1F600}"),
        AccessLogRecord(requestID: "", remote: "", method: "OPTIONS", path: "", route: "", status: 503,
                        durationSeconds: 0, bytesIn: 0, bytesOut: 123_456_789, userAgent: ""),
    ]

    @Test("the byte-rendered line equals the swift-log line, field for field", arguments: records.indices)
    func sameObject(index: Int) throws {
        let record = Self.records[index]
        let lines = Mutex<[String]>([])
        let handler = JSONLineLogHandler(label: "hdrec-server", sink: { line in lines.withLock { $0.append(line) } })
        #expect(handler.logAccess(record))
        var logger = Logger(label: "hdrec-server") { _ in handler }
        logger.logLevel = .info
        logger.info("request", metadata: record.metadata)
        let both = lines.withLock { $0 }
        try #require(both.count == 2)
        let fast = try JSONValue.parse(both[0]), slow = try JSONValue.parse(both[1])
        guard case .object(let fastFields) = fast, case .object(let slowFields) = slow else {
            Issue.record("not objects: \(both)")
            return
        }
        #expect(fastFields.map(\.key) == slowFields.map(\.key), "same keys in the same order")
        for (a, b) in zip(fastFields, slowFields) where a.key != "ts" {
            // Numbers by value: "0.000" and "0" are the same JSON number.
            if case .number(let x) = a.value, case .number(let y) = b.value {
                #expect(x.double == y.double, "field \(a.key): \(x) against \(y)")
            } else {
                #expect(a.value == b.value, "field \(a.key): \(a.value) against \(b.value)")
            }
        }
        guard case .number(let ts)? = fast["ts"] else {
            Issue.record("no ts in \(both[0])")
            return
        }
        #expect(abs(ts.double - Date().timeIntervalSince1970) < 60)
    }

    @Test("a handler with metadata of its own is left to swift-log, which merges it")
    func handlerMetadata() {
        var handler = JSONLineLogHandler(label: "x", sink: { _ in })
        handler.metadata["pod"] = "a"
        #expect(!handler.logAccess(Self.records[0]))
    }

    @Test("numbers keep their value: integers, and three decimals for milliseconds and seconds")
    func numbers() {
        func fixed(_ v: Int64) -> String {
            var out: [UInt8] = []
            AccessLogRecord.appendFixed3(thousandths: v, into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(fixed(0) == "0.000")
        #expect(fixed(84) == "0.084")
        #expect(fixed(12_345) == "12.345")
        #expect(fixed(-1_500) == "-1.500")
        #expect(fixed(1_796_315_693_941) == "1796315693.941")
        for value: Int64 in [0, 7, 10, 99, 100, 1_000_000, -42, Int64.max, Int64.min] {
            var out: [UInt8] = []
            JSONNumber.write(value, into: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }
}
