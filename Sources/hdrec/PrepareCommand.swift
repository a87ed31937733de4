// `hdrec prepare`: turn raw Amazon 2018, LC-Rec or RecBole files into the
// canonical dataset directory (docs/recsys.md) and print the paper's Table 1
// statistics for it.
import ArgumentParser
import Foundation
import RecSys
import Support

struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Prepare a dataset directory: title filter, 5-core, time order, leave-one-out split.",
        discussion: """
        amazon2018: --reviews Category_5.json[.gz] --meta meta_Category.json[.gz]
        lcrec:      --inter X.inter.json[.gz] --item X.item.json[.gz]
        recbole:    --inter X.inter --item X.item
        Example: hdrec prepare --format lcrec --inter datasets/amazon-scientific/Scientific.inter.json.gz \\
                   --item datasets/amazon-scientific/Scientific.item.json.gz --out data/scientific
        """)

    @Option(help: "Input format: amazon2018, lcrec or recbole.") var format: String
    @Option(help: "amazon2018: the 5-core review file (JSON lines, optionally gzip).") var reviews: String?
    @Option(help: "amazon2018: the metadata file (JSON lines, optionally gzip).") var meta: String?
    @Option(help: "lcrec/recbole: the interaction file.") var inter: String?
    @Option(help: "lcrec/recbole: the item file.") var item: String?
    @Option(help: "Output dataset directory (replaced atomically).") var out: String
    @Option(help: "Dataset name (default: the output directory's name).") var name: String?
    @Option(help: "Keep a reproducible random sample of N users (whole, after the k-core filter).") var maxUsers: Int?
    @Option(help: "Minimum interactions per user and per item (iterative k-core).") var kcore: Int = 5
    @Option(help: "Seed for --max-users sampling.") var seed: UInt64 = 42
    @Flag(help: "Re-apply the k-core filter to the --max-users sample (it then keeps fewer than N users).") var refilter = false
    @Flag(help: "Skip malformed records (with a summary of counts) instead of failing on the first.") var lenient = false

    func run() async throws {
        let fmt: SourceFormat
        do { fmt = try SourceFormat.parse(format) } catch { throw ValidationError("\(error)") }
        let primary: String, secondary: String
        switch fmt {
        case .amazon2018:
            guard let reviews, let meta else { throw ValidationError("--format amazon2018 needs --reviews FILE and --meta FILE") }
            primary = reviews; secondary = meta
        case .lcrec, .recbole:
            guard let inter, let item else { throw ValidationError("--format \(fmt.rawValue) needs --inter FILE and --item FILE") }
            primary = inter; secondary = item
        }
        guard kcore >= 0 else { throw ValidationError("--kcore must be >= 0") }
        if let m = maxUsers, m <= 0 { throw ValidationError("--max-users must be positive") }
        if refilter && maxUsers == nil { throw ValidationError("--refilter applies to a --max-users sample; give --max-users N") }
        let datasetName = name ?? (out as NSString).lastPathComponent
        let start = Date()
        let (dataset, manifest) = try DatasetPreparer.prepare(
            format: fmt, interactions: primary, items: secondary, name: datasetName,
            options: PrepareOptions(kcore: kcore, maxUsers: maxUsers, seed: seed, refilter: refilter), lenient: lenient)
        try DatasetStore.write(dataset, manifest: manifest, to: out)

        if !manifest.skipped.isEmpty {
            print("Skipped malformed records (lenient mode):\n" + manifest.skipped.summary)
        }
        if !manifest.dropped.isEmpty {
            print("Dropped by the filters:\n" + manifest.dropped.summary)
        }
        let s = dataset.stats
        var table = MarkdownTable(headers: ["Dataset", "#Users", "#Items", "#Inters.", "Avg. Items"],
                                  alignments: [.left, .right, .right, .right, .right])
        table.addRow([datasetName, "\(s.users)", "\(s.items)", "\(s.interactions)", String(format: "%.2f", s.averageItems)])
        print(table.render(), terminator: "")
        print(String(format: "sequence length %d to %d, sparsity %.4f%%, %d k-core round(s); wrote %@ in %.1fs",
                     s.minLength, s.maxLength, s.sparsity * 100, manifest.kcoreRounds, out, Date().timeIntervalSince(start)))
    }
}
