// Prometheus exposition: exact text for a small registry, and the service's families
// with the names docs/service.md "Metrics" lists.
import HTTP
import Testing
@testable import Service

@Suite("metrics exposition")
struct MetricsTests {
    @Test("renders counters, gauges and cumulative histograms in text format 0.0.4")
    func exactText() {
        let r = MetricsRegistry()
        let c = r.counter("x_requests_total", help: "Requests.", labels: ["route", "status"])
        c.increment(["/b", "200"])
        c.increment(["/a", "200"], by: 2)
        let g = r.gauge("x_depth", help: "Depth with \\ and\nnewline.")
        g.set(3)
        let h = r.histogram("x_seconds", help: "Latency.", buckets: [0.1, 1])
        h.observe(0.05)
        h.observe(0.5)
        h.observe(7)
        r.gauge("x_sampled", help: "Sampled.") { 42 }
        let q = r.counter("x_escape_total", help: "Escapes.", labels: ["v"])
        q.increment(["a\"b\\c\nd"])
        #expect(r.exposition() == """
        # HELP x_requests_total Requests.
        # TYPE x_requests_total counter
        x_requests_total{route="/a",status="200"} 2
        x_requests_total{route="/b",status="200"} 1
        # HELP x_depth Depth with \\\\ and\\nnewline.
        # TYPE x_depth gauge
        x_depth 3
        # HELP x_seconds Latency.
        # TYPE x_seconds histogram
        x_seconds_bucket{le="0.1"} 1
        x_seconds_bucket{le="1"} 2
        x_seconds_bucket{le="+Inf"} 3
        x_seconds_sum 7.55
        x_seconds_count 3
        # HELP x_sampled Sampled.
        # TYPE x_sampled gauge
        x_sampled 42
        # HELP x_escape_total Escapes.
        # TYPE x_escape_total counter
        x_escape_total{v="a\\"b\\\\c\\nd"} 1

        """)
    }

    @Test("GET /metrics exposes every family docs/service.md names, with request counts by route, method and status")
    func serviceFamilies() async throws {
        let root = TestRoot()
        let service = try makeService(root: root)
        _ = await service.call(.post, "/recommend", json: #"{"history": ["i1"], "k": 2}"#)
        _ = await service.call(.get, "/nope")
        let r = await service.call(.get, "/metrics")
        #expect(r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let text = r.bodyText
        for family in ["hdrec_http_requests_total counter", "hdrec_http_request_duration_seconds histogram",
                       "hdrec_forward_duration_seconds histogram", "hdrec_batch_size histogram", "hdrec_queue_depth gauge",
                       "hdrec_inflight_requests gauge", "hdrec_open_connections gauge", "hdrec_adapter_info gauge",
                       "hdrec_adapter_swaps_total counter", "process_resident_memory_bytes gauge"] {
            #expect(text.contains("# TYPE \(family)\n"), "\(family)")
        }
        #expect(text.contains(#"hdrec_http_requests_total{route="/recommend",method="POST",status="200"} 1"#))
        #expect(text.contains(#"hdrec_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(text.contains(#"hdrec_forward_duration_seconds_count{pass="text"} 1"#))
        #expect(text.contains(#"hdrec_forward_duration_seconds_count{pass="id"} 1"#))
        #expect(text.contains(#"hdrec_batch_size_bucket{le="+Inf"} 1"#))
        #expect(text.contains(#"hdrec_adapter_info{text="aaaaaaaaaaaa",id="bbbbbbbbbbbb"} 1"#))
        #expect(text.contains(#"hdrec_adapter_swaps_total{result="failed"} 0"#))
        #expect(text.contains("hdrec_inflight_requests 1\n"))  // the /metrics request itself
        let rss = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        #expect((rss.flatMap { Double($0.split(separator: " ")[1]) } ?? 0) > 1_000_000)
    }
}
