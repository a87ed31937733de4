// `hdrec compare A B`: paired t-tests between two evaluated runs, per metric and split.
import ArgumentParser
import Foundation
import RecSys
import Support

struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two run directories (each with ranks.tsv) with paired t-tests per metric.")

    @Argument(help: "First run directory (or its ranks.tsv).") var a: String
    @Argument(help: "Second run directory (or its ranks.tsv).") var b: String

    func run() async throws {
        func ranksPath(_ p: String) -> String { p.hasSuffix(".tsv") ? p : p + "/ranks.tsv" }
        let rows = try RunComparison.compare(ranksA: ranksPath(a), ranksB: ranksPath(b))
        var table = MarkdownTable(headers: ["split", "metric", "A", "B", "A - B", "t", "p (paired t)"],
                                  alignments: [.left, .left, .right, .right, .right, .right, .right])
        for r in rows {
            table.addRow([r.split, r.metric, String(format: "%.4f", r.meanA), String(format: "%.4f", r.meanB),
                          String(format: "%+.4f", r.test.meanDifference), String(format: "%.3f", r.test.t),
                          r.test.pValue < 1e-4 ? String(format: "%.2e", r.test.pValue) : String(format: "%.4f", r.test.pValue)])
        }
        print("A = \(a)\nB = \(b)\n(\(rows.first?.users ?? 0) paired users per split)")
        if let r = rows.first(where: { $0.unpaired > 0 }) {
            print("(one file holds a user sample: \(r.unpaired) users of the other are left out at split \(r.split))")
        }
        print(table.render(), terminator: "")
    }
}
