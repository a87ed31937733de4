// Finding and running the built `hdrec` and `hdrec-server` for the end-to-end test.
// The binaries are those of the same build as this test bundle (`make test` builds
// them with `--build-tests`): they lie next to the test executable, or in
// HDREC_BIN_DIR when that is set. The test fails, naming where it looked, when they
// are missing, rather than silently testing nothing.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum Programs {
    /// The package root, from this file's path (Tests/EndToEndTests/Programs.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Directories searched for the binaries, in order.
    static var searchDirectories: [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["HDREC_BIN_DIR"], !env.isEmpty { dirs.append(env) }
        // The running test executable (…/release/hdrecPackageTests.xctest, or a runner inside it).
        var url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for _ in 0 ..< 4 {
            url = url.deletingLastPathComponent()
            dirs.append(url.path)
        }
        return dirs
    }

    /// The directory holding both executables, or an explanation of where they were not found.
    static func binDirectory() -> Result<String, ProgramError> {
        let fm = FileManager.default
        for dir in searchDirectories where fm.isExecutableFile(atPath: dir + "/hdrec") && fm.isExecutableFile(atPath: dir + "/hdrec-server") {
            return .success(dir)
        }
        return .failure(.binariesMissing(searched: searchDirectories))
    }
}

enum ProgramError: Error, CustomStringConvertible {
    case binariesMissing(searched: [String])
    case failed(command: String, status: Int32, output: String)
    case timedOut(command: String, seconds: Double, output: String)

    var description: String {
        switch self {
        case .binariesMissing(let dirs):
            "hdrec and hdrec-server were not found next to the test bundle (looked in \(dirs.joined(separator: ", "))); "
                + "build them first: `swift build -c release -Xswiftc -enable-testing --build-tests` (make test does), "
                + "or set HDREC_BIN_DIR to the directory that holds them"
        case .failed(let command, let status, let output):
            "`\(command)` exited with status \(status):\n\(output.suffix(4000))"
        case .timedOut(let command, let seconds, let output):
            "`\(command)` still running after \(seconds) s:\n\(output.suffix(4000))"
        }
    }
}

/// A child process whose stdout and stderr go to one log file.
final class Child: @unchecked Sendable {
    let process = Process()
    let logPath: String
    let commandLine: String

    init(_ executable: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws {
        logPath = log
        commandLine = ([(executable as NSString).lastPathComponent] + arguments).joined(separator: " ")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        try process.run()
        try handle.close()
    }

    var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits for exit up to `seconds`; kills the child and throws when it is still running.
    func wait(seconds: Double, note: String = "") throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                throw ProgramError.timedOut(command: commandLine, seconds: seconds, output: output + "\n" + note)
            }
            usleep(20_000)
        }
        return process.terminationStatus
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Runs a program to completion; throws with its output when the status is not 0.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], log: String, timeout: Double = 60,
                    environment: [String: String] = [:]) throws -> String {
        let child = try Child(executable, arguments, log: log, environment: environment)
        let status = try child.wait(seconds: timeout)
        guard status == 0 else { throw ProgramError.failed(command: child.commandLine, status: status, output: child.output) }
        return child.output
    }
}
