// Markdown tables, SVG plots and progress-bar formatting.
import Foundation
import Testing
@testable import Support

@Suite("Formatting helpers")
struct FormattingTests {
    @Test("a Markdown table has a header, an alignment rule and escaped, padded rows")
    func markdown() {
        var t = MarkdownTable(headers: ["model", "N@10"], alignments: [.left, .right])
        t.addRow(["SASRec", "0.0650"])
        t.addRow(["a|b"])
        let lines = t.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == "| model  |   N@10 |")
        #expect(lines[1] == "| ------ | -----: |")
        #expect(lines[2] == "| SASRec | 0.0650 |")
        #expect(lines[3] == "| a\\|b   |        |")
    }

    @Test("an SVG plot holds one polyline and one legend entry per series, with escaped text")
    func svg() {
        var p = SVGPlot(title: "loss <train>", xLabel: "epoch", yLabel: "nats")
        p.add(.init(name: "train", values: [3, 2, 1.5, 1.2]))
        p.add(.init(name: "valid & test", points: [(1, 0.1), (2, 0.2), (3, .nan)]))
        let svg = p.render()
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("loss &lt;train&gt;"))
        #expect(svg.contains("valid &amp; test"))
        #expect(!svg.contains("nan"))
    }

    @Test("nice ticks use 1-2-5 steps and cover the range")
    func ticks() {
        let unit = SVGPlot.niceTicks(lo: 0, hi: 1)
        #expect(unit.count == 6)
        #expect(unit.first == 0)
        #expect(abs((unit.last ?? 0) - 1) < 1e-12)
        let t = SVGPlot.niceTicks(lo: 3, hi: 97)
        #expect(t == [20, 40, 60, 80])
    }

    @Test("durations format as seconds, minutes or hours")
    func durations() {
        #expect(ProgressBar.formatDuration(4.24) == "4.2s")
        #expect(ProgressBar.formatDuration(185) == "3m05s")
        #expect(ProgressBar.formatDuration(3720) == "1h02m")
        let bar = ProgressBar(label: "t", total: 3, enabled: false)
        bar.advance(status: "loss 1")
        bar.advance(by: 5)
        bar.finish()
    }
}

@Suite("Process clock")
struct ProcessClockTests {
    @Test("CPU time is positive and grows with work")
    func grows() {
        let a = ProcessClock.cpuSeconds()
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i).squareRoot() }
        let b = ProcessClock.cpuSeconds()
        #expect(a > 0)
        #expect(b > a)
        #expect(x > 0)
    }
}
