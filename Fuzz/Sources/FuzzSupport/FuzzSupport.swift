// Helpers shared by the fuzz targets: invariant checks that crash (so libFuzzer keeps the
// input as a crash artifact) and a way to read the fuzzer's buffer.

/// Stops the process with `message` when `condition` is false. libFuzzer reports the
/// trap as a "deadly signal" and writes the input to crash-<sha1>.
@inline(never)
public func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                    file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
}

/// The fuzzer's input as an array (the targets' parsers take arrays or Data).
@inline(__always)
public func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A split point in 0...bytes.count derived from the input itself (an FNV-1a hash of
/// every byte), so that the same input always splits the same way and any mutation
/// moves the split.
public func splitPoint(_ bytes: [UInt8], salt: UInt64 = 0) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ salt
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return Int(h % UInt64(bytes.count + 1))
}

// MARK: - Entry point

/// libFuzzer's driver (compiler-rt FuzzerDriver.cpp; linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_silgen_name("exit")
func cExit(_ status: CInt) -> Never

/// Runs libFuzzer's command line (`-runs=`, `-max_total_time=`, corpus directories, ...)
/// on `testOneInput`. Each target's main.swift calls this from top-level code rather than
/// leaving `main` to libFuzzer: SwiftPM links an executable target with `main` bound to
/// the module's own entry point, so `-parse-as-library` (no Swift main) fails to link.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    cExit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
