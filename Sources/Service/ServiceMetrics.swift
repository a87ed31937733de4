// The service's metric families, names exactly as docs/service.md "Metrics" lists them (Prometheus
// conventions: snake_case, base units, `_total` counters, `_seconds` durations).
// docs/service.md and openapi.yaml (GET /metrics) list them for operators.
import Foundation

public final class ServiceMetrics: Sendable {
    public let registry = MetricsRegistry()
    public let requests: Counter
    public let requestDuration: Histogram
    public let forwardDuration: Histogram
    public let batchSize: Histogram
    public let queueDepth: Gauge
    public let inflight: Gauge
    public let adapterInfo: Gauge
    public let adapterSwaps: Counter

    static let latencyBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// `openConnections` is sampled at scrape time from the transport.
    public init(openConnections: @escaping @Sendable () -> Int = { 0 }) {
        requests = registry.counter("hdrec_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.",
                                    labels: ["route", "method", "status"])
        requestDuration = registry.histogram("hdrec_http_request_duration_seconds", help: "Time from a parsed request to its response, by route.",
                                             labels: ["route"], buckets: Self.latencyBuckets)
        forwardDuration = registry.histogram("hdrec_forward_duration_seconds", help: "Duration of one batched forward pass over the base, by pass.",
                                             labels: ["pass"], buckets: Self.latencyBuckets)
        batchSize = registry.histogram("hdrec_batch_size", help: "Queries per inference batch.", buckets: [1, 2, 4, 8, 16, 32, 64])
        queueDepth = registry.gauge("hdrec_queue_depth", help: "Queries waiting for the inference thread.")
        inflight = registry.gauge("hdrec_inflight_requests", help: "HTTP requests being handled.")
        registry.gauge("hdrec_open_connections", help: "Open client connections.") { Double(openConnections()) }
        adapterInfo = registry.gauge("hdrec_adapter_info", help: "The serving adapter pair's versions (value 1).", labels: ["text", "id"])
        adapterSwaps = registry.counter("hdrec_adapter_swaps_total", help: "Adapter swaps attempted, by result.", labels: ["result"])
        registry.gauge("process_resident_memory_bytes", help: "Resident set size of this process in bytes.") {
            Double(ProcessStats.residentBytes() ?? 0)
        }
        adapterSwaps.touch(["ok"])
        adapterSwaps.touch(["failed"])
        queueDepth.set(0)
        inflight.set(0)
    }
}

public enum ProcessStats {
    /// Resident memory from /proc/self/statm (second field, in pages); nil off Linux.
    public static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
