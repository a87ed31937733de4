// A run's files (run.json, history.json) as the JSON module writes them read back in
// Foundation's JSONDecoder (the reader of earlier builds) to the same values, and files
// earlier builds wrote (local runs/, when present) read to what Foundation reads.
import Foundation
import JSON
import Testing
@testable import Training

@Suite("Run files: written and read through the JSON module, compatible with Foundation's reader")
struct RunFileFormatTests {
    static let runs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("runs").path

    static var runDirectories: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).sorted().map { runs + "/" + $0 }
            .filter { FileManager.default.fileExists(atPath: $0 + "/run.json") }
    }

    @Test("history.json as TrainingRun writes it: Foundation reads the same values, to the bit")
    func historyRoundTrip() throws {
        var h = RunHistory()
        h.losses = [StepLosses(step: 1, textCE: 2.302585092994046, idCE: nil, textKL: 1e-9, idKL: 0.1, tokens: 4096)]
        h.validations = [EpochValidation(epoch: 1, alphaNDCG: (0 ... 10).map { 0.01 * Double($0) + 1 / 3 }, textPassNDCG: 0.05,
                                         idPassNDCG: 1e-300, bestAlpha: 0.7, sasrecNDCG: nil, idGate: 0.25)]
        h.completedEpochs = 1
        h.bestEpoch = 1
        h.bestNDCG = .pi
        h.secondsPerEpoch = [12.5]
        let encoder = JSONDocumentEncoder(sortedKeys: true)
        let text = try encoder.encode(h)
        #expect(!text.contains("idCE") && !text.contains("startValidation"))
        let foundation = try JSONDecoder().decode(RunHistory.self, from: Data(text.utf8))
        #expect(try encoder.encode(foundation) == text)
        let ours = try JSONDocumentDecoder().decode(RunHistory.self, from: Data(text.utf8))
        #expect(try encoder.encode(ours) == text)
        #expect(ours.validations[0].alphaNDCG == h.validations[0].alphaNDCG && ours.bestNDCG == .pi)
    }

    @Test("local runs' run.json and history.json read as Foundation reads them (or both refuse them)",
          .enabled(if: !runDirectories.isEmpty, "no runs/ here"))
    func localRuns() throws {
        let encoder = JSONDocumentEncoder(layout: .pretty, sortedKeys: true)
        var read = 0
        for dir in Self.runDirectories {
            let spec = try Data(contentsOf: URL(fileURLWithPath: dir + "/run.json"))
            let ours = try? JSONDocumentDecoder().decode(TrainingRunSpec.self, from: spec)
            let theirs = try? JSONDecoder().decode(TrainingRunSpec.self, from: spec)
            // Runs made before a recipe key existed are refused by both (the key is required).
            #expect(ours == theirs, "\(dir)")
            guard let ours else { continue }
            read += 1
            #expect(try JSONDecoder().decode(TrainingRunSpec.self, from: Data(encoder.encode(ours).utf8)) == ours, "\(dir)")
            guard let history = FileManager.default.contents(atPath: dir + "/history.json") else { continue }
            let a = try JSONDocumentDecoder().decode(RunHistory.self, from: history)
            let b = try JSONDecoder().decode(RunHistory.self, from: history)
            #expect(try encoder.encode(a) == encoder.encode(b), "\(dir)")
        }
        print("run files: \(read) of \(Self.runDirectories.count) runs read by both")
    }
}
