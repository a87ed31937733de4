// `hdrec recommend`: the top-k for one history from a bundle, printed as the
// same JSON the server's POST /recommend returns, through the same code path
// (HDRecModel.recommend: both passes, IPL, fusion, top-k).
import ArgumentParser
import Foundation
import JSON
import HDRecInference

struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend the top-k items for a history with an HDRec bundle (JSON on stdout).")

    @Option(help: "The bundle directory (hdrec export).") var bundle: String
    @Option(parsing: .upToNextOption, help: "History item ids (catalog ids), oldest first.") var history: [String]
    @Option(help: "How many items to return.") var k = 10
    @Option(help: "α of Eq. 17 in [0, 1] (default: the bundle's, chosen on validation).") var alpha: Float?
    @Option(help: "Fusion: text-dominant, id-dominant, confidence, text-pass or id-pass (default: the bundle's).") var fusion: String?
    @Option(help: "The base GGUF, when the bundle references its base instead of carrying it.") var base: String?
    @Flag(help: "Leave the history's items out of the result.") var excludeHistory = false
    @Option(parsing: .upToNextOption, help: "More item ids to leave out.") var exclude: [String] = []
    @Flag(help: "Add each item's text score and ID boost (Eq. 17).") var explain = false
    @Flag(help: "Skip the sha256 check of the bundle's files.") var noVerify = false
    @Flag(help: "Compact JSON on one line.") var compact = false
    @Option(help: "Timing: run the request this many more times and report median stage times on stderr.") var `repeat` = 0
    @Option(help: "Timing: send the request this many times in one batch (one pass per adapter for all).") var batch = 1

    func run() async throws {
        let method = try fusion.map { try FusionMethod.parse($0) }
        let loaded = try HDRecModel.load(bundle: bundle, basePath: base, verifyChecksums: !noVerify)
        let catalog = loaded.contents.catalog
        let request = RecommendationRequest(
            history: try catalog.indices(of: history), k: k, fusion: method, alpha: alpha,
            excludeHistory: excludeHistory, exclude: Set(try catalog.indices(of: exclude)), explain: explain)
        let r = try loaded.model.recommend(Array(repeating: request, count: max(1, batch)))[0]
        if `repeat` > 0 {
            var runs: [RecommendationTiming] = []
            for _ in 0 ..< `repeat` { runs.append(try loaded.model.recommend(Array(repeating: request, count: max(1, batch)))[0].timing) }
            func median(_ f: (RecommendationTiming) -> Double) -> String {
                let v = runs.map(f).sorted()
                return String(format: "%.1f", v[v.count / 2])
            }
            let line = "median of \(`repeat`) runs, batch \(max(1, batch)), \(r.usedHistory.count) history items: text_pass \(median(\.textPass)) ms, "
                + "id_pass \(median(\.idPass)) ms, fusion \(median(\.fusion)) ms, total \(median(\.total)) ms\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        let response = RecommendationResponse(r, catalog: catalog, versions: loaded.model.versions, explain: explain)
        FileHandle.standardOutput.write(Data((response.commandJSON.serialized(compact ? .compact : .pretty) + "\n").utf8))
    }
}
