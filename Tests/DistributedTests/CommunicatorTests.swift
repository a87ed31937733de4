// The single-process communicator, launch detection and library loading: what a process
// started without mpirun, or with a broken MPI install, sees.
import Foundation
import Testing
@testable import Distributed

@Suite("Single-process communicator and MPI launch")
struct CommunicatorTests {
    @Test("without mpirun the world is one rank and every collective leaves its buffer as it was")
    func singleProcess() throws {
        let world = SingleProcessCommunicator()
        #expect(world.rank == 0 && world.size == 1 && world.isRoot)
        var floats: [Float] = [1.5, -2, .infinity]
        try world.allReduceSum(&floats)
        #expect(floats == [1.5, -2, .infinity])
        var doubles: [Double] = [0.25, 3]
        try world.allReduceSum(&doubles)
        #expect(doubles == [0.25, 3])
        #expect(try world.max(7.5) == 7.5)
        #expect(try world.sum(2.5) == 2.5)
        var bytes: [UInt8] = [9, 8, 7]
        try world.broadcast(&bytes, root: 0)
        #expect(bytes == [9, 8, 7])
        try world.barrier()
        #expect(try world.allGather(UInt64(0xDEAD_BEEF)) == [0xDEAD_BEEF])
        #expect(try world.allGather(-4) == [-4])
    }

    @Test("a broadcast from a rank that does not exist is an error")
    func broadcastRoot() {
        var bytes: [UInt8] = [1]
        #expect(throws: DistributedError.rankOutOfRange(rank: 1, size: 1)) {
            try SingleProcessCommunicator().broadcast(&bytes, root: 1)
        }
    }

    @Test("the collective self-check passes on one rank, where drift cannot be tested")
    func selfCheckSingle() throws {
        let report = try CollectiveSelfCheck.run(on: SingleProcessCommunicator(), elements: 500)
        #expect(report == .init(rank: 0, size: 1, elements: 500, driftDetected: false))
    }

    @Test("mpirun's variables are read; without OMPI_COMM_WORLD_SIZE the process is not an MPI rank")
    func launchDetection() throws {
        #expect(try MPILaunch.detect(environment: [:]) == nil)
        #expect(try MPILaunch.detect(environment: ["OMPI_COMM_WORLD_RANK": "1"]) == nil)
        let launch = try MPILaunch.detect(environment: [
            "OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3", "OMPI_COMM_WORLD_LOCAL_RANK": "1",
        ])
        #expect(launch == MPILaunch(size: 4, rank: 3, localRank: 1))
    }

    @Test("malformed launch variables are errors naming the variable and its value")
    func malformedLaunch() {
        #expect(throws: DistributedError.malformedLaunchEnvironment(variable: "OMPI_COMM_WORLD_SIZE", value: "two")) {
            try MPILaunch.detect(environment: ["OMPI_COMM_WORLD_SIZE": "two", "OMPI_COMM_WORLD_RANK": "0"])
        }
        #expect(throws: DistributedError.malformedLaunchEnvironment(variable: "OMPI_COMM_WORLD_RANK", value: "(unset)")) {
            try MPILaunch.detect(environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        }
        #expect(throws: DistributedError.rankOutOfRange(rank: 2, size: 2)) {
            try MPILaunch.detect(environment: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "2"])
        }
    }

    @Test("HDREC_MPI_LIBRARY is tried first, then the soname and the install directories")
    func candidatePaths() {
        let paths = OpenMPILibrary.candidatePaths(environment: ["HDREC_MPI_LIBRARY": "/x/libmpi.so", "OPAL_PREFIX": "/opt/ompi"])
        #expect(Array(paths.prefix(3)) == ["/x/libmpi.so", "libmpi.so.40", "/opt/ompi/lib/libmpi.so.40"])
        #expect(paths.contains("/usr/lib/x86_64-linux-gnu/libmpi.so.40"))
    }

    @Test("a missing library is reported with every path tried and dlopen's reason")
    func libraryNotFound() {
        let paths = ["/nonexistent/a/libmpi.so.40", "/nonexistent/b/libmpi.so.40"]
        let error = #expect(throws: DistributedError.self) { try OpenMPILibrary.load(paths: paths) }
        guard case let .libraryNotFound(attempts)? = error else {
            Issue.record("expected libraryNotFound, got \(String(describing: error))")
            return
        }
        #expect(attempts.map(\.path) == paths)
        #expect(attempts.allSatisfy { !$0.reason.isEmpty })
        #expect(DistributedError.libraryNotFound(attempts: attempts).description.contains("/nonexistent/b/libmpi.so.40"))
    }

    @Test("a library without MPI's symbols is reported by the first missing symbol")
    func symbolMissing() throws {
        // libz is on every machine that builds HDRec (zlib1g-dev); it loads but is not MPI.
        let zlib = ["libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"]
        #expect(throws: DistributedError.symbolMissing(symbol: "MPI_Init_thread", library: "libz.so.1")) {
            try OpenMPILibrary.load(paths: zlib)
        }
    }
}

/// Whether Debian's Open MPI is installed here (`make mpi-deps`).
private let openMPIInstalled = FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libmpi.so.40")
    || FileManager.default.fileExists(atPath: "/usr/lib/aarch64-linux-gnu/libmpi.so.40")

@Suite("Open MPI's library")
struct OpenMPILibraryTests {
    @Test("every function and handle hdrec uses resolves in the installed libmpi (no MPI_Init)",
          .enabled(if: openMPIInstalled, "Open MPI is not installed (make mpi-deps)"))
    func symbolsResolve() throws {
        let library = try OpenMPILibrary.load(paths: OpenMPILibrary.candidatePaths(environment: [:]))
        #expect(library.path == "libmpi.so.40")
        // Distinct objects: a handle resolved to the wrong symbol would likely alias another.
        let handles = [library.commWorld, library.float, library.double, library.uint64, library.int64,
                       library.byte, library.opSum, library.opMax, library.errorsReturn]
        #expect(Set(handles).count == handles.count)
        var flag: Int32 = 1
        #expect(library.initialized(&flag) == OpenMPILibrary.success)
        #expect(flag == 0)   // loading does not initialise MPI
    }
}
