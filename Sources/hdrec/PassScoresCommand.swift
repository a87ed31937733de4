// `hdrec pass-scores`: writes a run's raw pass logits for a user sample as .npy, for
// analysis outside the trainer (fusion variants, the no-LLM control, diagnostics):
//   OUT/text.npy, OUT/id.npy, OUT/sasrec.npy   (U, I) f32, rows in OUT/users.tsv order
//   OUT/targets.tsv                             user index and target item per row
// SASRec's row is the run's own checkpoint scoring the same history. Validation by default;
// test only when asked (`--split test`).
import ArgumentParser
import Foundation
import ModelFiles
import RecSys
import Support
import Training
import TrainingOps

struct PassScoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pass-scores",
        abstract: "Write a run's text, ID and SASRec logits for a user sample as .npy files (analysis).")

    @Option(help: "Training run directory.") var run: String
    @Option(help: "valid or test.") var split: String = "valid"
    @Option(help: "Users: the run's reproducible validation sample of N (0 = all).") var users: Int = 2000
    @Option(help: "Output directory.") var out: String

    func run() async throws {
        guard let s = Split(rawValue: split) else { throw ValidationError("--split must be valid or test; found '\(split)'") }
        let trained = try TrainedRun(directory: run)
        let context = trained.context
        let sample = context.evaluationUsers(users, salt: 0xA11D)
        let sasrec = try SASRecScorer(model: SASRecExport.load(path: trained.spec.sasrecPath), dataset: context.dataset)
        let scorer = trained.trainingScorer()
        let n = context.dataset.numItems
        var text: [Float] = [], id: [Float] = [], base: [Float] = []
        var targets = "user\ttarget\n"
        let bar = ProgressBar(label: "pass scores", total: sample.count)
        for start in stride(from: 0, to: sample.count, by: 16) {
            let chunk = Array(sample[start ..< min(sample.count, start + 16)])
            let passes = try scorer.passScores(histories: chunk.map { Array(context.dataset.history($0, for: s)) })
            for row in passes.text { text.append(contentsOf: row) }
            for row in passes.id { id.append(contentsOf: row) }
            var buffer = [Float](repeating: 0, count: chunk.count * n)
            try buffer.withUnsafeMutableBufferPointer { try sasrec.scores(users: chunk, split: s, into: $0) }
            base.append(contentsOf: buffer)
            for u in chunk { targets += "\(u)\t\(s == .valid ? context.dataset.valid(u) : context.dataset.test(u))\n" }
            bar.advance(by: chunk.count)
        }
        bar.finish()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try NPYWriter.write(text, shape: [sample.count, n], to: out + "/text.npy")
        try NPYWriter.write(id, shape: [sample.count, n], to: out + "/id.npy")
        try NPYWriter.write(base, shape: [sample.count, n], to: out + "/sasrec.npy")
        try AtomicFile.write(targets, to: out + "/targets.tsv")
        print("wrote \(out)/text.npy, id.npy, sasrec.npy (\(sample.count) × \(n)) and targets.tsv")
    }
}
