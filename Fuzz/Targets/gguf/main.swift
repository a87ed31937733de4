// libFuzzer entry points. `-sanitize=fuzzer` links libFuzzer's own main, which calls
// LLVMFuzzerTestOneInput; SwiftPM also binds `main` to this file's top-level code,
// which runs the same driver (FuzzSupport.runLibFuzzer). Either way, one callback.
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { testOneInput(data, size) }

runLibFuzzer { testOneInput($0, $1) }
