// The server and `hdrec recommend` give the same top-k for the same
// history. Both built binaries run on one small random bundle (RandomBundle, the library
// path behind `hdrec export --random`, over the stories260K fixture base and a 12-item
// catalog): `hdrec-server --threads 3` answers POST /recommend over loopback, and
// `hdrec recommend` prints its JSON for the same history, k and α.
//
// Tolerance: scores agree within `tolerance` (1e-4 absolute, or relative beyond 1), and
// the order agrees except between items whose scores are closer than that (near-ties may
// swap, at the k boundary too). The two processes run the same code; different thread
// counts and the server's warm prefix cache may change float summation order, nothing more.
//
// The same run checks that `--threads 3` reaches the decoder (/readyz reports
// decoder_threads 3) and that SIGTERM ends the server with status 0 even though it was
// spawned from a worker thread that blocks signals. Skips, saying so, when the binaries
// are not built next to the tests.
import Foundation
import HTTP
import JSON
import HDRecInference
import Testing
@testable import Service

@Suite("hdrec-server vs hdrec recommend")
struct ServerMatchesCLITests {
    static let tolerance = 1e-4

    static func binary(_ name: String) -> String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// (id, score) pairs of a response's `items`.
    static func ranking(_ json: JSONValue) throws -> [(id: String, score: Double)] {
        guard case .array(let items)? = json["items"] else { throw ServiceError.engineFailed("no items in \(json.serialized())") }
        return try items.map { item in
            guard case .string(let id)? = item["id"], let s = item["score"]?.doubleValue else {
                throw ServiceError.engineFailed("item without id or score: \(item.serialized())")
            }
            return (id, s)
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= tolerance * max(1, abs(a), abs(b)) }

    /// Why two top-k lists differ beyond float noise, or nil when they agree: same length;
    /// each item in both has the same score within tolerance; an item in only one is a
    /// near-tie with the other list's last score; items in both are in the same order
    /// unless their scores are within tolerance.
    static func disagreement(_ a: [(id: String, score: Double)], _ b: [(id: String, score: Double)]) -> String? {
        guard a.count == b.count, !a.isEmpty else { return "lengths \(a.count) and \(b.count)" }
        let scoreB = Dictionary(b.map { ($0.id, $0.score) }, uniquingKeysWith: { x, _ in x })
        let scoreA = Dictionary(a.map { ($0.id, $0.score) }, uniquingKeysWith: { x, _ in x })
        for (id, s) in a {
            if let t = scoreB[id] {
                if !close(s, t) { return "\(id): scores \(s) and \(t)" }
            } else if !close(s, b[b.count - 1].score) {
                return "\(id) (score \(s)) only in the first list, not a near-tie with its k-th \(b[b.count - 1].score)"
            }
        }
        for (id, s) in b where scoreA[id] == nil && !close(s, a[a.count - 1].score) {
            return "\(id) (score \(s)) only in the second list"
        }
        let common = a.filter { scoreB[$0.id] != nil }
        let posB = Dictionary(b.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { x, _ in x })
        for i in common.indices {
            for j in common.indices where j > i {
                let (x, y) = (common[i], common[j])  // x before y in a
                if posB[x.id]! > posB[y.id]! && !close(x.score, y.score) {
                    return "\(x.id) (\(x.score)) and \(y.id) (\(y.score)) in opposite orders"
                }
            }
        }
        return nil
    }

    @Test("the comparison accepts float noise and near-tie swaps, and rejects real differences")
    func comparisonRule() {
        let a: [(id: String, score: Double)] = [("x", 3.0), ("y", 2.0), ("z", 1.99999), ("w", 1.0)]
        #expect(Self.disagreement(a, a) == nil)
        #expect(Self.disagreement(a, [("x", 3.00001), ("z", 1.99999), ("y", 2.0), ("w", 1.0)]) == nil)
        #expect(Self.disagreement(a, [("x", 3.0), ("y", 2.0), ("z", 1.99999), ("v", 1.00001)]) == nil)
        #expect(Self.disagreement(a, [("y", 2.0), ("x", 3.0), ("z", 1.99999), ("w", 1.0)]) != nil)
        #expect(Self.disagreement(a, [("x", 3.01), ("y", 2.0), ("z", 1.99999), ("w", 1.0)]) != nil)
        #expect(Self.disagreement(a, [("x", 3.0), ("y", 2.0), ("z", 1.99999), ("v", 0.5)]) != nil)
        #expect(Self.disagreement(a, Array(a.prefix(3))) != nil)
    }

    @Test("POST /recommend of hdrec-server --threads 3 gives hdrec recommend's top-k; /readyz reports decoder_threads 3",
          .enabled(if: binary("hdrec-server") != nil && binary("hdrec") != nil, "hdrec-server and hdrec are not built next to the tests"))
    func sameTopK() async throws {
        let server = try #require(Self.binary("hdrec-server"))
        let cli = try #require(Self.binary("hdrec"))
        let root = TestRoot()
        let bundle = try HDRecEngineTests.bundle(root, "v1", seed: 7)
        let base = HDRecEngineTests.base
        let history = ["i3", "i5", "i8", "i1"]
        let k = 8, alpha = 0.3

        let process = Process()
        process.executableURL = URL(fileURLWithPath: server)
        process.arguments = ["--artifacts", bundle, "--base", base, "--port", "0", "--threads", "3"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = Shared<[String]>([])
        let reader = Thread {
            var buffer: [UInt8] = []
            while true {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { return }
                buffer += data
                while let nl = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[..<nl], as: UTF8.self)
                    buffer.removeSubrange(...nl)
                    lines.withLock { $0.append(line) }
                }
            }
        }
        reader.start()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // The port from the "listening" log line, then wait for the bundle to be loaded.
        try await waitUntil(seconds: 60) { lines.withLock { $0.contains { $0.contains(#""msg":"listening""#) } } }
        let listening = try #require(lines.withLock { $0.first { $0.contains(#""msg":"listening""#) } })
        guard case .string(let portText)? = try JSONValue.parse(Array(listening.utf8))["port"], let port = Int(portText) else {
            Issue.record("no port in \(listening)")
            return
        }
        let url = "http://127.0.0.1:\(port)"
        var ready = JSONValue.null
        for _ in 0 ..< 600 {
            let r = try await curl([url + "/readyz"])
            if let j = try? JSONValue.parse(Array(r.out.utf8)), j["status"] == .string("ready") { ready = j; break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(ready["status"] == .string("ready"))
        #expect(ready["decoder_threads"] == .number(3))

        let body = JSONValue.object([("history", .array(history.map { .string($0) })), ("k", .number(Double(k))),
                                     ("alpha", .number(alpha))]).serialized()
        let served = try await curl(["-H", "Content-Type: application/json", "-d", body, url + "/recommend"])
        let serverRanking = try Self.ranking(try JSONValue.parse(Array(served.out.utf8)))

        // SIGTERM: graceful drain, exit 0. The server was spawned from a test worker thread,
        // whose blocked signal mask it inherits: its signal watcher must unblock SIGTERM.
        process.terminate()
        try await waitUntil(seconds: 60) { !process.isRunning }
        if process.isRunning {
            Issue.record("hdrec-server ignored SIGTERM for 60 s")
            kill(process.processIdentifier, SIGKILL)
        }
        let status: Int32 = await offPool { process.waitUntilExit(); return process.terminationStatus }
        #expect(status == 0)

        let printed: Result<String, any Error> = await offPool {
            Result {
                let r = try runProgram(cli, ["recommend", "--bundle", bundle, "--base", base, "--history"] + history
                    + ["--k", "\(k)", "--alpha", "\(alpha)", "--compact"])
                guard r.status == 0 else { throw ServiceError.engineFailed("hdrec recommend exited \(r.status)") }
                return r.out
            }
        }
        let cliRanking = try Self.ranking(try JSONValue.parse(Array(try printed.get().utf8)))

        #expect(serverRanking.count == k)
        #expect(Self.disagreement(serverRanking, cliRanking) == nil,
                "server \(serverRanking) vs hdrec recommend \(cliRanking)")
    }
}
