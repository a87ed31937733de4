// `hdrec popularity`: the most-popular baseline, evaluated by the shared harness.
import ArgumentParser
import Foundation
import RecSys

struct PopularityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "popularity",
        abstract: "Evaluate the most-popular baseline; writes DIR/metrics.json and DIR/ranks.tsv.")

    @Option(help: "Dataset directory from `hdrec prepare`.") var data: String
    @Option(help: "Output directory.") var out: String
    @Flag(help: "Also report results with history items masked (valid_masked, test_masked).") var maskHistory = false

    func run() async throws {
        let dataset = try DatasetStore.load(data)
        let scorer = PopularityScorer(dataset: dataset)
        let report = try Evaluator.evaluate(dataset: dataset, scorer: scorer,
                                            options: EvaluationOptions(maskHistory: maskHistory))
        try report.write(to: out)
        print(report.table(), terminator: "")
        print("wrote \(out)/metrics.json and \(out)/ranks.tsv")
    }
}
