// Evaluation results on disk, beside a model's outputs:
//   metrics.json  {"valid": {"MRR": x, "Recall@1": x, ..., "NDCG@50": x}, "test": {...},
//                  and "valid_masked"/"test_masked" when masking was asked for}
//   ranks.tsv     header `user<TAB>split<TAB>rank`, then one line per user and split,
//                 rank 0-based (number of items scoring strictly higher than the target)
// `hdrec compare` pairs two runs' ranks.tsv by (user, split).
import Foundation
import JSON
import Support

/// Per-user ranks at one split.
public struct SplitResult: Sendable {
    /// "valid", "test", "valid_masked" or "test_masked".
    public var name: String
    /// 0-based ranks, aligned with `EvaluationReport.userIDs`.
    public var ranks: [Int]
    /// Users whose target scored exactly the same as at least one other item, and the
    /// most items any target tied with: the tie rule ranks those targets above their ties,
    /// so many of them mean the metrics overstate a degenerate (e.g. constant) score row.
    public var tiedTargets: Int
    public var mostTiedItems: Int
    public init(name: String, ranks: [Int], tiedTargets: Int = 0, mostTiedItems: Int = 0) {
        self.name = name
        self.ranks = ranks
        self.tiedTargets = tiedTargets
        self.mostTiedItems = mostTiedItems
    }
    /// A warning when targets tied with other items, nil otherwise.
    public var tieWarning: String? {
        guard tiedTargets > 0 else { return nil }
        return "warning: at \(name), \(tiedTargets) of \(ranks.count) targets scored exactly the same as other items (up to \(mostTiedItems)); "
            + "the tie rule ranks a target above its ties, so these metrics overstate tied (e.g. constant) scores"
    }
    /// Exact averages over users, in `RankingMetrics.names` order.
    public var metrics: [(name: String, value: Double)] { RankingMetrics.summarize(ranks: ranks) }
    /// One metric by name (e.g. "NDCG@10").
    public func metric(_ name: String) -> Double { metrics.first { $0.name == name }?.value ?? .nan }
}

/// The outcome of an evaluation: per-user ranks for each split.
public struct EvaluationReport: Sendable {
    public var userIDs: [String]
    public var results: [SplitResult]
    public init(userIDs: [String], results: [SplitResult]) {
        self.userIDs = userIDs
        self.results = results
    }

    /// The result for a split name ("valid", "test", "valid_masked", "test_masked").
    public func result(_ name: String) -> SplitResult? { results.first { $0.name == name } }

    /// metrics.json text.
    public var metricsJSON: String {
        let blocks = results.map { r in
            "  " + JSONString.quote(r.name) + ": {\n" + r.metrics.map { "    \(JSONString.quote($0.name)): \(JSONText.number($0.value))" }.joined(separator: ",\n") + "\n  }"
        }
        return "{\n" + blocks.joined(separator: ",\n") + "\n}\n"
    }

    /// ranks.tsv text.
    public var ranksTSV: String {
        var out = "user\tsplit\trank\n"
        for r in results {
            for (u, rank) in zip(userIDs, r.ranks) { out += "\(u)\t\(r.name)\t\(rank)\n" }
        }
        return out
    }

    /// Writes `metrics.json` and `ranks.tsv` into `directory` (created if needed), atomically.
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AtomicFile.write(metricsJSON, to: directory + "/metrics.json")
        try AtomicFile.write(ranksTSV, to: directory + "/ranks.tsv")
    }

    /// A Markdown table of MRR, Recall@K and NDCG@K for each split.
    public func table(metrics: [String] = ["MRR", "Recall@10", "NDCG@10", "Recall@20", "NDCG@20"]) -> String {
        var t = MarkdownTable(headers: ["split"] + metrics, alignments: [.left] + metrics.map { _ in .right })
        for r in results { t.addRow([r.name] + metrics.map { String(format: "%.4f", r.metric($0)) }) }
        return t.render() + results.compactMap { $0.tieWarning.map { $0 + "\n" } }.joined()
    }

    /// Reads a ranks.tsv: per split name, user id -> rank.
    public static func loadRanks(path: String) throws -> [String: [String: Int]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecSysError.cannotRead(path: path, message: "no such file")
        }
        var out: [String: [String: Int]] = [:]
        var lineNumber = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false)
            if lineNumber == 1 {
                guard cells.map(String.init) == ["user", "split", "rank"] else {
                    throw RecSysError.badHeader(path: path, message: "expected 'user<TAB>split<TAB>rank'")
                }
                continue
            }
            guard cells.count == 3, let rank = Int(cells[2]), rank >= 0 else {
                throw RecSysError.malformedRecord(path: path, line: lineNumber, message: "expected user, split and a non-negative rank")
            }
            let user = String(cells[0]), split = String(cells[1])
            if out[split]?[user] != nil {
                throw RecSysError.malformedRecord(path: path, line: lineNumber, message: "duplicate rank for user '\(user)' at split '\(split)'")
            }
            out[split, default: [:]][user] = rank
        }
        if out.isEmpty { throw RecSysError.emptyFile(path: path) }
        return out
    }
}
