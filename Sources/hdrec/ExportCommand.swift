// `hdrec export --run RUN_DIR --out BUNDLE`: a trained run as the bundle the server loads.
import ArgumentParser
import Training

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a trained run's best checkpoint as a serving bundle (docs/bundle.md).")

    @Option(help: "Run directory written by hdrec train.") var run: String
    @Option(help: "Bundle directory to write (replaced atomically).") var out: String
    @Flag(name: .customLong("copy-base"), help: "Copy the base GGUF into the bundle instead of referencing it by sha256.") var copyBase = false

    func run() async throws {
        try RunExporter.export(run: run, to: out, copyBase: copyBase,
                               command: (["hdrec"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        print("wrote bundle \(out)")
    }
}
