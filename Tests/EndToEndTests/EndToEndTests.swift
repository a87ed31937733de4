// The end-to-end test: the trainer and the server as a user runs them,
// through their command lines, on a small slice of the bundled Scientific data with
// the stories260K base (Tests/Fixtures). hdrec prepare → hdrec sasrec → hdrec train
// (twice, two seeds) → hdrec export (f32 and f16) → hdrec-server on a free port:
// /readyz, /recommend, /model, PUT /adapters (hot swap with an admin token), /metrics,
// then SIGTERM and exit status 0. No network, nothing outside the package.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("End to end: trainer and server from the command line", .serialized)
struct EndToEndTests {
    static let base = Programs.packageRoot + "/Tests/Fixtures/stories260K/stories260K.gguf"
    static let inter = Programs.packageRoot + "/datasets/amazon-scientific/Scientific.inter.json.gz"
    static let items = Programs.packageRoot + "/datasets/amazon-scientific/Scientific.item.json.gz"

    @Test("a tiny bundle trains, serves, hot-swaps and shuts down cleanly")
    func trainServeSwapShutdown() throws {
        let bin: String
        switch Programs.binDirectory() {
        case .success(let dir): bin = dir
        case .failure(let error):
            Issue.record(Comment(rawValue: error.description))
            return
        }
        let hdrec = bin + "/hdrec"
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-e2e-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let env = ["HDREC_THREADS": "1"]   // one core: the rest of the suite runs beside it

        // 1. Data: a reproducible 60-user slice (about 400 items), sampled whole from the k-core-1 data.
        try Child.run(hdrec, ["prepare", "--format", "lcrec", "--inter", Self.inter, "--item", Self.items,
                              "--out", tmp + "/data", "--name", "e2e", "--max-users", "60", "--kcore", "1"],
                      log: tmp + "/prepare.log", environment: env)
        // 2. A small SASRec (the bundle's ID width is 128).
        try Child.run(hdrec, ["sasrec", "--data", tmp + "/data", "--out", tmp + "/sasrec", "--blocks", "1", "--inner", "64",
                              "--epochs", "2", "--batch-size", "64"],
                      log: tmp + "/sasrec.log", environment: env)
        // 3. Two short HDRec runs over all 5 layers of stories260K (seeds 1 and 2), each exported.
        var versions: [String] = []
        for (seed, dtype) in [("1", "f32"), ("2", "f16")] {
            let run = tmp + "/run\(seed)"
            try Child.run(hdrec, ["train", "--data", tmp + "/data", "--base", Self.base, "--sasrec", tmp + "/sasrec", "--out", run,
                                  "--layers", "5", "--epochs", "1", "--max-users", "16", "--validation-users", "8", "--eval-users", "8",
                                  "--batch-size", "8", "--ipl-hidden", "32", "--projector-hidden", "32", "--ridge-projector", "false", "--max-items", "4",
                                  "--max-chunk-tokens", "8", "--seed", seed],
                          log: run + ".log", timeout: 120, environment: env)
            try Child.run(hdrec, ["export", "--run", run, "--dtype", dtype, "--out", tmp + "/adapters/v\(seed)"],
                          log: run + "-export.log", environment: env)
            let manifest = try Self.json(tmp + "/adapters/v\(seed)/manifest.json")
            let adapters = try #require(manifest["adapters"] as? [String: Any])
            let text = try #require(adapters["text"] as? [String: Any])
            versions.append(try #require(text["version"] as? String))
        }
        #expect(versions[0] != versions[1], "two seeds must give two adapter versions")
        let f16 = try Self.safetensorsDTypes(tmp + "/adapters/v2/heads.safetensors")
        #expect(f16 == ["F16"], "--dtype f16 stores the heads as F16, found \(f16)")

        // 4. The server on a free port (--port 0: the bound port is in the "listening" log line).
        let token = "e2e-admin-token"
        try token.write(toFile: tmp + "/admin.token", atomically: true, encoding: .utf8)
        let server = try Child(bin + "/hdrec-server", [
            "--artifacts", tmp + "/adapters/v1", "--base", Self.base, "--port", "0", "--threads", "1",
            "--admin-token-file", tmp + "/admin.token", "--adapter-root", tmp + "/adapters",
            "--shutdown-grace-s", "5",
        ], log: tmp + "/server.log", environment: env)
        var stopped = false
        defer { if !stopped { server.signal(SIGKILL); _ = try? server.wait(seconds: 5) } }
        let port = try Self.listeningPort(server, seconds: 20)
        try Self.waitReady(port: port, server: server, seconds: 30)

        let catalog = try String(contentsOfFile: tmp + "/adapters/v1/catalog.jsonl", encoding: .utf8).split(separator: "\n")
        let ids = try catalog.prefix(2).map { line in
            try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String)
        }
        let query = "{\"history\": [\"\(ids[0])\", \"\(ids[1])\"], \"k\": 3}"

        // /recommend on the first pair.
        let first = try TinyHTTPClient.request(port: port, method: "POST", path: "/recommend", body: query)
        #expect(first.status == 200, "POST /recommend: \(first.status) \(first.text)")
        let firstItems = try #require(first.json?["items"] as? [[String: Any]], "items in \(first.text)")
        #expect(firstItems.count == 3)
        #expect(((first.json?["adapters"] as? [String: Any])?["text"] as? String) == versions[0])

        // Unknown ids are named.
        let bad = try TinyHTTPClient.request(port: port, method: "POST", path: "/recommend", body: "{\"history\": [\"no-such-item\"]}")
        #expect(bad.status == 422, "unknown id: \(bad.status) \(bad.text)")

        // /model: the manifest, with the run's validation and test metrics.
        let model = try TinyHTTPClient.request(port: port, method: "GET", path: "/model")
        #expect(model.status == 200)
        let metrics = model.json?["metrics"] as? [String: Any]
        #expect(metrics?["valid"] != nil && metrics?["test"] != nil, "/model metrics: \(String(describing: metrics))")

        // PUT /adapters: needs the token, then swaps to the seed-2 (f16) bundle.
        let swapBody = "{\"path\": \"v2\"}"
        let denied = try TinyHTTPClient.request(port: port, method: "PUT", path: "/adapters", body: swapBody)
        #expect(denied.status == 401, "PUT /adapters without a token: \(denied.status)")
        let swap = try TinyHTTPClient.request(port: port, method: "PUT", path: "/adapters", body: swapBody,
                                              headers: [("Authorization", "Bearer \(token)")])
        #expect(swap.status == 200, "PUT /adapters: \(swap.status) \(swap.text)")
        let second = try TinyHTTPClient.request(port: port, method: "POST", path: "/recommend", body: query)
        #expect(second.status == 200)
        #expect(((second.json?["adapters"] as? [String: Any])?["text"] as? String) == versions[1], "after the swap: \(second.text)")

        // /metrics and /readyz.
        let prom = try TinyHTTPClient.request(port: port, method: "GET", path: "/metrics")
        #expect(prom.status == 200)
        #expect(prom.text.contains("hdrec_adapter_swaps_total{result=\"ok\"} 1"), "swap counter in /metrics")
        #expect(prom.text.contains("hdrec_http_requests_total{"), "request counter in /metrics")
        #expect(prom.text.contains(versions[1]), "/metrics names the serving adapter version")
        let ready = try TinyHTTPClient.request(port: port, method: "GET", path: "/readyz")
        #expect(ready.status == 200, "/readyz: \(ready.status) \(ready.text)")

        // SIGTERM: graceful shutdown, exit status 0.
        let signals = (try? String(contentsOfFile: "/proc/\(server.process.processIdentifier)/status", encoding: .utf8))?
            .split(separator: "\n").filter { $0.hasPrefix("Sig") }.joined(separator: " ") ?? ""
        server.signal(SIGTERM)
        let status = try server.wait(seconds: 15, note: signals)
        stopped = true
        #expect(status == 0, "hdrec-server exit status after SIGTERM: \(status)\n\(server.output.suffix(2000))")
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
    }

    /// The distinct dtypes in a safetensors header.
    static func safetensorsDTypes(_ path: String) throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8 ..< 8 + length)) as? [String: Any])
        return Set(header.compactMap { ($0.value as? [String: Any])?["dtype"] as? String })
    }

    /// The port from the server's `"listening"` log line (JSON lines on stdout).
    static func listeningPort(_ server: Child, seconds: Double) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for line in server.output.split(separator: "\n") where line.contains("\"listening\"") {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   let port = Self.findPort(object) {
                    return port
                }
            }
            guard server.process.isRunning else { break }
            usleep(50_000)
        }
        throw ProgramError.timedOut(command: server.commandLine + " (no \"listening\" line)", seconds: seconds, output: server.output)
    }

    /// `port` at the top level or under `metadata`, as a number or a string.
    static func findPort(_ object: [String: Any]) -> Int? {
        for candidate in [object, object["metadata"] as? [String: Any] ?? [:]] {
            if let p = candidate["port"] as? Int { return p }
            if let s = candidate["port"] as? String, let p = Int(s) { return p }
        }
        return nil
    }

    static func waitReady(port: Int, server: Child, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let r = try? TinyHTTPClient.request(port: port, method: "GET", path: "/readyz", timeout: 5), r.status == 200 { return }
            guard server.process.isRunning else { break }
            usleep(100_000)
        }
        throw ProgramError.timedOut(command: server.commandLine + " (not ready)", seconds: seconds, output: server.output)
    }
}
