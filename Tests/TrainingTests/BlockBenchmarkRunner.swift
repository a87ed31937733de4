// Opt-in runner for BlockBenchmark (HDREC_BENCH=1); skipped in the normal suite, which must not
// run benchmarks. Usage and recorded figures: docs/training.md "Speed".
import Foundation
import Testing
@testable import Training
import Workbench

@Suite("Block benchmark (opt-in)")
struct BlockBenchmarkRunner {
    @Test("prints forward+backward tokens/s of one SmolLM2 block with LoRA",
          .enabled(if: ProcessInfo.processInfo.environment["HDREC_BENCH"] == "1", "a benchmark: runs with HDREC_BENCH=1"))
    func smolLM2Block() throws {
        let env = ProcessInfo.processInfo.environment
        let sequences = Int(env["HDREC_BENCH_SEQUENCES"] ?? "") ?? 4
        let length = Int(env["HDREC_BENCH_LENGTH"] ?? "") ?? 128
        let r = try BlockBenchmark.run(sequences: sequences, length: length)
        print(String(format: "BENCH block smolLM2 lora=q,k,v,o,up,down rows=%d: %.3f s/step (forward %.3f, backward %.3f; frozen-GEMM floor of a forward %.3f), %.0f tokens/s, saved %.1f KiB/token",
                     r.tokens, r.secondsPerStep, r.forwardSeconds, r.backwardSeconds, r.gemmFloorSeconds, r.tokensPerSecond,
                     Double(r.savedBytes) / Double(r.tokens) / 1024))
        #expect(r.tokensPerSecond > 0)
    }
}
