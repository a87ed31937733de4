// A dependency-free SVG line plot: several named series, axes with "nice"
// ticks, a legend and axis labels. Used for training curves (loss, validation
// metrics) written next to a run's metrics, viewable in any browser.
import Foundation

/// A line plot rendered to a standalone SVG document.
public struct SVGPlot: Sendable {
    /// One line: points in data coordinates, drawn in order.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
        public init(name: String, values: [Double], xStart: Double = 1) {
            self.name = name
            self.points = values.enumerated().map { (xStart + Double($0.offset), $0.element) }
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var width: Double = 720
    public var height: Double = 420

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Adds a series.
    public mutating func add(_ s: Series) { series.append(s) }

    /// Tick values covering [lo, hi] at a 1-2-5 step, about `count` of them.
    public static func niceTicks(lo: Double, hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite else { return [] }
        if hi <= lo { return [lo] }
        let raw = (hi - lo) / Double(max(count, 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var ticks: [Double] = []
        var t = ceil(lo / step - 1e-9) * step
        while t <= hi + step * 1e-9 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    /// The SVG document.
    public func render() -> String {
        let left = 70.0, right = 170.0, top = 40.0, bottom = 50.0
        let plotW = width - left - right, plotH = height - top - bottom
        let finite = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }
        var xlo = finite.map(\.x).min() ?? 0, xhi = finite.map(\.x).max() ?? 1
        var ylo = finite.map(\.y).min() ?? 0, yhi = finite.map(\.y).max() ?? 1
        if xhi <= xlo { xlo -= 0.5; xhi += 0.5 }
        if yhi <= ylo { ylo -= 0.5; yhi += 0.5 }
        let pad = (yhi - ylo) * 0.05
        ylo -= pad; yhi += pad
        func px(_ x: Double) -> Double { left + (x - xlo) / (xhi - xlo) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - ylo) / (yhi - ylo)) * plotH }
        func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
        func label(_ v: Double) -> String {
            if v == 0 { return "0" }
            if abs(v) >= 1e4 || abs(v) < 1e-3 { return String(format: "%.1e", v) }
            return String(format: "%g", (v * 1e6).rounded() / 1e6)
        }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        svg += "<text x=\"\(fmt(left + plotW / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>\n"
        for t in SVGPlot.niceTicks(lo: xlo, hi: xhi) {
            svg += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(top + plotH))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + plotH + 16))\" text-anchor=\"middle\">\(label(t))</text>\n"
        }
        for t in SVGPlot.niceTicks(lo: ylo, hi: yhi) {
            svg += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(t)))\" x2=\"\(fmt(left + plotW))\" y2=\"\(fmt(py(t)))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
        }
        svg += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotW))\" height=\"\(fmt(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(fmt(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let color = SVGPlot.palette[i % SVGPlot.palette.count]
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            if pts.count > 1 {
                let path = pts.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
                svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(path)\"/>\n"
            } else if let p = pts.first {
                svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"3\" fill=\"\(color)\"/>\n"
            }
            let ly = top + 10 + Double(i) * 20
            svg += "<line x1=\"\(fmt(left + plotW + 12))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(left + plotW + 32))\" y2=\"\(fmt(ly))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(fmt(left + plotW + 38))\" y=\"\(fmt(ly + 4))\">\(esc(s.name))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Writes the SVG atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(render(), to: path)
    }
}
