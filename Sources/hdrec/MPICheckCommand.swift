// `hdrec mpi-check`: under `mpirun -np N`, checks that the collectives data-parallel
// training uses give exact results on every rank (Distributed's CollectiveSelfCheck,
// including the drift check) and times MPI_Allreduce on Float buffers of several sizes.
// Without mpirun it runs the same checks on one rank and times nothing. scripts/mpi-test.sh runs it at
// np 2 in `make test`; docs/scaling.md quotes its bandwidth.
import ArgumentParser
import Distributed
import Support

struct MPICheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check MPI collectives across the ranks of an mpirun job and time all-reduce.")

    @Option(parsing: .upToNextOption, help: "All-reduce sizes to time, in bytes (multiples of 4).")
    var sizes: [Int] = [4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20]

    @Option(help: "Timed all-reduces per size (after 2 untimed ones).")
    var repeats: Int = 20

    @Flag(help: "Print one JSON record per size instead of a table.")
    var json = false

    // For scripts/mpi-test.sh: this rank fails before the first collective, and the job
    // must then end (MPI_Abort) instead of leaving the other ranks blocked.
    @Option(name: .customLong("fail-on-rank"), help: ArgumentHelp("Make this rank fail at once (tests the abort path).", visibility: .hidden))
    var failOnRank: Int?

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        if sizes.contains(where: { $0 < 4 || $0 % 4 != 0 }) { throw ValidationError("--sizes must be positive multiples of 4 bytes") }
    }

    func run() throws {
        try DistributedWorld.run { world in
            if world.rank == failOnRank { throw ValidationError("failing on rank \(world.rank) as --fail-on-rank asked") }
            let report = try CollectiveSelfCheck.run(on: world)
            let drift = world.size > 1 ? "drift on rank \(world.size - 1) detected" : "drift not testable on one rank"
            let library = (world as? MPICommunicator).map { "libmpi: \($0.libraryPath)" } ?? "no MPI (not started by mpirun)"
            print("rank \(report.rank) of \(report.size): collectives correct (\(report.elements) elements; \(drift)); \(library)")
            try world.barrier()
            guard world.size > 1 else { return }   // nothing moves between ranks: no timings
            if world.isRoot && !json {
                print("bytes       latency (slowest rank)   algorithm GB/s   bus GB/s  (bus = 2(N-1)/N x bytes / time)")
            }
            for bytes in sizes {
                let seconds = try timeAllReduce(bytes: bytes, world: world)
                guard world.isRoot else { continue }
                let n = Double(world.size)
                let algorithm = Double(bytes) / seconds / 1e9
                let bus = algorithm * 2 * (n - 1) / n
                if json {
                    print(#"{"ranks":\#(world.size),"bytes":\#(bytes),"seconds":\#(seconds),"algorithmGBps":\#(algorithm),"busGBps":\#(bus)}"#)
                } else {
                    print(pad(String(bytes), 12) + pad(String(format1(seconds * 1e6)) + " us", 25) + pad(format2(algorithm), 17) + format2(bus))
                }
            }
        }
    }

    /// Mean seconds per all-reduce of `bytes`, the slowest rank's (the step waits for it).
    private func timeAllReduce(bytes: Int, world: any Communicator) throws -> Double {
        var buffer = [Float](repeating: 0, count: bytes / 4)
        for _ in 0 ..< 2 { try world.allReduceSum(&buffer) }
        try world.barrier()
        let start = monotonicSeconds()
        for _ in 0 ..< repeats { try world.allReduceSum(&buffer) }
        let mine = (monotonicSeconds() - start) / Double(repeats)
        return try world.max(mine)
    }

    private func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(1, width - s.count)) }
    private func format1(_ x: Double) -> String { String(Double((x * 10).rounded()) / 10) }
    private func format2(_ x: Double) -> String { String(Double((x * 100).rounded()) / 100) }
}
