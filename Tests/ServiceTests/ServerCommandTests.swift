// The hdrec-server executable's command line: it refuses bad flags, a missing bundle
// directory, and a bundle it cannot load, each with a clear message and exit status 1
// (64 for usage).
// Runs the built binary next to the test bundle; skips when it was not built.
import Foundation
import Testing

@Suite("hdrec-server command line")
struct ServerCommandTests {
    static var binary: String? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hdrec-server").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Skips the tests, saying why, when there is no binary to run.
    static let built = ConditionTrait.enabled(if: binary != nil, "hdrec-server is not built next to the tests")

    static func run(_ args: [String]) async throws -> (status: Int32, stderr: String) {
        guard let binary else { return (-1, "") }
        let r: Result<(Int32, String), any Error> = await offPool {
            Result { try runProgram(binary, args, capturing: .stderr) }
        }
        return try r.get()
    }

    @Test("refuses a bundle it cannot load (manifest only, no files), saying why, with exit status 1", built)
    func unloadableBundle() async throws {
        let root = TestRoot()
        let dir = root.bundle("v1", TestSpec())
        let r = try await Self.run(["--artifacts", dir, "--port", "0"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("hdrec-server: "))
        #expect(!r.stderr.contains("not available yet"))
    }

    @Test("rejects a missing bundle directory, unpaired TLS flags and --threads 0", built)
    func badArguments() async throws {
        let missing = try await Self.run(["--artifacts", "/nonexistent/bundle"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("--artifacts /nonexistent/bundle is not a directory"))
        let tls = try await Self.run(["--artifacts", "/tmp", "--tls-cert", "/tmp/x.pem"])
        #expect(tls.status == 64)
        #expect(tls.stderr.contains("--tls-cert and --tls-key go together"))
        let threads = try await Self.run(["--artifacts", "/tmp", "--threads", "0"])
        #expect(threads.status == 64)
        #expect(threads.stderr.contains("--threads must be in 1...256"))
    }

    @Test("accepts --no-ui (the page off; WebUITests checks the routes answer 404)", built)
    func noUIFlag() async throws {
        let r = try await Self.run(["--artifacts", "/nonexistent/bundle", "--no-ui"])
        #expect(r.status == 1, "the flag parses; the missing bundle is what fails: \(r.stderr)")
        #expect(r.stderr.contains("is not a directory"))
    }
}
