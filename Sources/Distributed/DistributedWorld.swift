// The process's one communicator and MPI's lifecycle: MPI_Init_thread on the first
// `join()`, MPI_Finalize once after the work succeeded, MPI_Abort when it failed.
//
// There is deliberately no atexit finalizer: a rank that exits on an error while the
// others wait in an all-reduce would block in MPI_Finalize (it synchronises with them);
// aborting, or exiting without finalizing, makes mpirun end the whole job instead.
import Foundation

public enum DistributedWorld {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var communicator: (any Communicator)?
    }
    private static let state = State()

    /// MPI's world when mpirun started this process (MPILaunch.swift says how that is
    /// known), otherwise a SingleProcessCommunicator. The first call loads libmpi and
    /// initialises MPI; later calls return the same communicator.
    public static func join() throws(DistributedError) -> any Communicator {
        state.lock.lock(); defer { state.lock.unlock() }
        if let existing = state.communicator { return existing }
        let environment = ProcessInfo.processInfo.environment
        let communicator: any Communicator
        if let launch = try MPILaunch.detect(environment: environment) {
            let library = try OpenMPILibrary.load(paths: OpenMPILibrary.candidatePaths(environment: environment))
            communicator = try MPICommunicator(library: library, launch: launch)
        } else {
            communicator = SingleProcessCommunicator()
        }
        state.communicator = communicator
        return communicator
    }

    /// MPI_Finalize when MPI was initialised (once; later calls do nothing). Every rank
    /// must call it, after its last collective.
    public static func finalize() throws(DistributedError) {
        state.lock.lock(); defer { state.lock.unlock() }
        try (state.communicator as? MPICommunicator)?.finalize()
    }

    /// Joins, runs `body`, and finalizes. When `body` throws under mpirun, the error is
    /// printed with the rank and the job is aborted, so that ranks waiting in a collective
    /// for this one end too; without mpirun the error is rethrown.
    public static func run<T>(_ body: (any Communicator) throws -> T) throws -> T {
        let world = try join()
        let result: T
        do { result = try body(world) } catch {
            abortJob(world, error)
            throw error
        }
        try finalize()
        return result
    }

    /// `run` for async work.
    public static func run<T>(_ body: (any Communicator) async throws -> T) async throws -> T {
        let world = try join()
        let result: T
        do { result = try await body(world) } catch {
            abortJob(world, error)
            throw error
        }
        try finalize()
        return result
    }

    private static func abortJob(_ world: any Communicator, _ error: any Error) {
        guard let mpi = world as? MPICommunicator else { return }
        FileHandle.standardError.write(Data("hdrec rank \(mpi.rank) of \(mpi.size): error: \(error)\n".utf8))
        mpi.abort(code: 1)
    }
}
