// CPU time of this process (all threads, user + system) from getrusage. On a
// shared machine wall time depends on the neighbours; CPU time shows the work
// itself, so training logs and benchmarks record both.
import Foundation
#if canImport(Glibc)
import Glibc
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

public enum ProcessClock {
    /// User + system CPU seconds consumed by this process so far, all threads included.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF_WHO, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
