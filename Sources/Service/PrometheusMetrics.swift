// A small Prometheus metrics registry and its text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): `# HELP` and `# TYPE` per
// family, counters ending in `_total`, histograms as cumulative `_bucket{le}` series
// ending in `le="+Inf"` plus `_sum` and `_count`. Values never reset on scrape.
// Written here (about 200 lines) instead of pulling swift-prometheus and its deps.
import Synchronization

/// Label values in declaration order of the family's label names.
public typealias LabelValues = [String]

public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labelNames: labels))
    }

    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labelNames: labels))
    }

    /// A gauge whose value is read at scrape time (process RSS, open connections).
    public func gauge(_ name: String, help: String, sample: @escaping @Sendable () -> Double) {
        _ = register(SampledGauge(name: name, help: help, sample: sample))
    }

    /// A counter whose value is read at scrape time from a monotonic source.
    public func counter(_ name: String, help: String, sample: @escaping @Sendable () -> Double) {
        _ = register(SampledGauge(name: name, help: help, type: "counter", sample: sample))
    }

    public func histogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, labelNames: labels, buckets: buckets))
    }

    private func register<F: MetricFamily>(_ family: F) -> F {
        families.withLock { $0.append(family) }
        return family
    }

    /// The exposition text (`Content-Type: text/plain; version=0.0.4`).
    public func exposition() -> String {
        var out = ""
        for family in families.withLock({ $0 }) {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) \(family.type)\n"
            family.write(into: &out)
        }
        return out
    }
}

protocol MetricFamily: Sendable {
    var name: String { get }
    var help: String { get }
    var type: String { get }
    func write(into out: inout String)
}

/// A monotonically increasing count per label set.
public final class Counter: MetricFamily {
    let name: String, help: String, labelNames: [String]
    var type: String { "counter" }
    private let values = Mutex<[LabelValues: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    public func increment(_ labels: LabelValues = [], by amount: Double = 1) {
        values.withLock { $0[labels, default: 0] += amount }
    }

    /// Makes a label set visible at 0 before its first increment.
    public func touch(_ labels: LabelValues) { values.withLock { if $0[labels] == nil { $0[labels] = 0 } } }

    public func value(_ labels: LabelValues = []) -> Double { values.withLock { $0[labels] ?? 0 } }

    func write(into out: inout String) {
        for (labels, v) in values.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(renderLabels(labelNames, labels)) \(formatValue(v))\n"
        }
    }
}

/// A value that goes up and down, per label set.
public final class Gauge: MetricFamily {
    let name: String, help: String, labelNames: [String]
    var type: String { "gauge" }
    private let values = Mutex<[LabelValues: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    public func set(_ value: Double, _ labels: LabelValues = []) { values.withLock { $0[labels] = value } }
    public func add(_ delta: Double, _ labels: LabelValues = []) { values.withLock { $0[labels, default: 0] += delta } }
    /// Replaces every label set with one (info-style gauges such as `hdrec_adapter_info`).
    public func replaceAll(with labels: LabelValues, value: Double) { values.withLock { $0 = [labels: value] } }
    public func value(_ labels: LabelValues = []) -> Double { values.withLock { $0[labels] ?? 0 } }

    func write(into out: inout String) {
        for (labels, v) in values.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            out += "\(name)\(renderLabels(labelNames, labels)) \(formatValue(v))\n"
        }
    }
}

final class SampledGauge: MetricFamily {
    let name: String, help: String, type: String
    let sample: @Sendable () -> Double
    init(name: String, help: String, type: String = "gauge", sample: @escaping @Sendable () -> Double) {
        self.name = name
        self.help = help
        self.type = type
        self.sample = sample
    }
    func write(into out: inout String) { out += "\(name) \(formatValue(sample()))\n" }
}

/// Observations counted into fixed upper-bound buckets, per label set.
public final class Histogram: MetricFamily {
    let name: String, help: String, labelNames: [String]
    let buckets: [Double]
    var type: String { "histogram" }
    private struct Series { var counts: [UInt64]; var sum = 0.0; var count: UInt64 = 0 }
    private let series = Mutex<[LabelValues: Series]>([:])

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = buckets.sorted()
    }

    public func observe(_ value: Double, _ labels: LabelValues = []) {
        series.withLock { all in
            var s = all[labels] ?? Series(counts: Array(repeating: 0, count: buckets.count))
            // Buckets are stored non-cumulative; exposition accumulates.
            if let i = buckets.firstIndex(where: { value <= $0 }) { s.counts[i] += 1 }
            s.sum += value
            s.count += 1
            all[labels] = s
        }
    }

    /// Observation count for a label set.
    public func count(_ labels: LabelValues = []) -> UInt64 { series.withLock { $0[labels]?.count ?? 0 } }

    func write(into out: inout String) {
        for (labels, s) in series.withLock({ $0 }).sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            var cumulative: UInt64 = 0
            for (i, bound) in buckets.enumerated() {
                cumulative += s.counts[i]
                out += "\(name)_bucket\(renderLabels(labelNames + ["le"], labels + [formatValue(bound)])) \(cumulative)\n"
            }
            out += "\(name)_bucket\(renderLabels(labelNames + ["le"], labels + ["+Inf"])) \(s.count)\n"
            out += "\(name)_sum\(renderLabels(labelNames, labels)) \(formatValue(s.sum))\n"
            out += "\(name)_count\(renderLabels(labelNames, labels)) \(s.count)\n"
        }
    }
}

// MARK: - Text format helpers

func renderLabels(_ names: [String], _ values: LabelValues) -> String {
    guard !names.isEmpty else { return "" }
    let pairs = zip(names, values).map { "\($0)=\"\(escapeLabelValue($1))\"" }
    return "{" + pairs.joined(separator: ",") + "}"
}

/// Label values escape backslash, double quote and newline.
func escapeLabelValue(_ s: String) -> String {
    s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
}

/// HELP text escapes backslash and newline.
func escapeHelp(_ s: String) -> String { s.replacingAll("\\", with: "\\\\").replacingAll("\n", with: "\\n") }

func formatValue(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
    return "\(v)"
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
