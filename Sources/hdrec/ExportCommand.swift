// `hdrec export`: writes a bundle (docs/bundle.md) for `hdrec recommend` and
// `hdrec-server`. From a training run (`--run`: its best checkpoint and chosen α),
// or with `--random`: seeded random heads and adapters over a real base and
// dataset, a valid bundle whose rankings mean nothing, for exercising serving.
// Either way the bundle is written beside --out and renamed into place (StagedDirectory):
// a failed or killed export leaves --out as it was, or holding the new bundle complete.
import ArgumentParser
import Foundation
import ModelFiles
import RecSys
import HDRecInference
import Support
import Training
import Workbench

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an HDRec bundle (manifest, adapters, heads, SASRec table, catalog).")

    @Option(help: "A training run directory (hdrec train --out).") var run: String?
    @Flag(help: "Random heads and adapters (a serving test bundle, not a recommender).") var random = false
    @Option(help: "With --random: the base GGUF.") var base: String?
    @Option(help: "With --random: the dataset directory (hdrec prepare) whose items form the catalog.") var data: String?
    @Option(help: "With --random: a sasrec.safetensors to include instead of a random table.") var sasrec: String?
    @Option(help: "With --random: projector and IPL hidden width.") var hidden = 256
    @Option(help: "With --random: LoRA rank.") var rank = 8
    @Option(help: "With --random: seed.") var seed: UInt64 = 42
    @Flag(help: "Copy the base GGUF into the bundle (default: reference it by sha256).") var copyBase = false
    @Option(help: "With --run: how float tensors are stored, f32 or f16 (f16 halves the bundle; loaders convert back).")
    var dtype: String = "f32"
    @Flag(help: "With --run: catalog.jsonl keeps only id, title and the attributes the prompts read (no descriptions unless used).")
    var slimCatalog = false
    @Option(help: "The bundle directory to write.") var out: String
    @Flag(help: "Replace a non-empty --out (its old bundle is swapped out whole, then removed).") var force = false

    func validate() throws {
        guard (run != nil) != random else { throw ValidationError("give exactly one of --run RUN_DIR or --random") }
        if random, base == nil || data == nil { throw ValidationError("--random needs --base MODEL.gguf and --data DATA_DIR") }
        guard dtype == "f32" || dtype == "f16" else { throw ValidationError("--dtype must be f32 or f16; found '\(dtype)'") }
    }

    func run() async throws {
        let command = (["hdrec"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        if let run {
            try RunExporter.export(run: run, to: out, copyBase: copyBase, command: command,
                                   tensorDType: dtype == "f16" ? .f16 : .f32, slimCatalog: slimCatalog, replace: force)
            print("wrote \(out) from run \(run)")
            return
        }
        guard let base, let data else { throw ValidationError("--random needs --base MODEL.gguf and --data DATA_DIR") }
        let dataset = try DatasetStore.load(data)
        let catalog = try Catalog(dataset: dataset)
        let table = try sasrec.map { try SASRecTable.load(path: $0, itemCount: catalog.count, width: 128) }
        let manifest = try StagedDirectory.publish(to: out, replace: force) { staging in
            try RandomBundle.write(to: staging, basePath: base, catalog: catalog, datasetName: dataset.name, sasrec: table,
                                   hidden: hidden, rank: rank, copyBase: copyBase, seed: seed, command: command)
        }
        print("wrote \(out): \(catalog.count) items, adapters text \(manifest.adapters.text.version), id \(manifest.adapters.id.version)")
    }
}
