// A GitHub-flavoured Markdown table builder, so commands print their results
// in the same form that RESULTS.md and BENCHMARKS.md hold them.

/// Builds a Markdown table row by row.
public struct MarkdownTable: Sendable {
    public enum Alignment: Sendable { case left, right, center }

    public let headers: [String]
    public var alignments: [Alignment]
    public private(set) var rows: [[String]] = []

    /// A table with these column headers; numeric-looking columns can be right-aligned via `alignments`.
    public init(headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? Array(repeating: .left, count: headers.count)
    }

    /// Appends a row; short rows are padded with empty cells, long rows truncated.
    public mutating func addRow(_ cells: [String]) {
        var row = Array(cells.prefix(headers.count))
        while row.count < headers.count { row.append("") }
        rows.append(row)
    }

    /// The table as Markdown, columns padded for readability in a terminal.
    public func render() -> String {
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        let all = [headers] + rows
        var widths = Array(repeating: 3, count: headers.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], escape(cell).count) } }
        func pad(_ s: String, _ w: Int, _ a: Alignment) -> String {
            let gap = max(0, w - s.count)
            switch a {
            case .left: return s + String(repeating: " ", count: gap)
            case .right: return String(repeating: " ", count: gap) + s
            case .center: return String(repeating: " ", count: gap / 2) + s + String(repeating: " ", count: gap - gap / 2)
            }
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { pad(escape($0.element), widths[$0.offset], alignments[$0.offset]) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { i, w -> String in
            switch alignments[i] {
            case .left: return " " + String(repeating: "-", count: w) + " "
            case .right: return " " + String(repeating: "-", count: w - 1) + ": "
            case .center: return " :" + String(repeating: "-", count: w - 2) + ": "
            }
        }.joined(separator: "|") + "|"
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
