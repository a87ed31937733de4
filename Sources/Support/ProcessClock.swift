// The process's clocks. Monotonic seconds time timeouts and durations (the socket
// layer's idle and drain deadlines, request timings), unaffected by wall-clock changes.
// CPU time of this process (all threads, user + system) comes from getrusage: on a
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

/// Monotonic seconds (CLOCK_MONOTONIC), for timeouts and durations.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
