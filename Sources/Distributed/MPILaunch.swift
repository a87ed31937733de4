// How a process knows that mpirun started it, before touching libmpi.
//
// Open MPI's launcher (mpirun/mpiexec, also what the MPI Operator's launcher pod runs)
// sets OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_RANK and OMPI_COMM_WORLD_LOCAL_RANK in the
// environment of every process it starts (checked with Open MPI 4.1). A process without
// OMPI_COMM_WORLD_SIZE was started some other way and runs as a single process; it never
// loads libmpi, so `hdrec` works on machines without Open MPI. Other launchers (Slurm's
// srun with PMIx, MPICH's hydra) are not detected: their processes run single-process.

/// What mpirun told this process through its environment.
public struct MPILaunch: Equatable, Sendable {
    public static let sizeVariable = "OMPI_COMM_WORLD_SIZE"
    public static let rankVariable = "OMPI_COMM_WORLD_RANK"
    public static let localRankVariable = "OMPI_COMM_WORLD_LOCAL_RANK"

    /// Processes in the job (mpirun -np).
    public var size: Int
    /// This process's rank in the job.
    public var rank: Int
    /// This process's index among the job's processes on the same host.
    public var localRank: Int

    public init(size: Int, rank: Int, localRank: Int) {
        self.size = size; self.rank = rank; self.localRank = localRank
    }

    /// The launch described by `environment`, or nil when mpirun did not start this process.
    public static func detect(environment: [String: String]) throws(DistributedError) -> MPILaunch? {
        guard let sizeText = environment[sizeVariable] else { return nil }
        func count(_ variable: String, _ text: String?) throws(DistributedError) -> Int {
            guard let text, let n = Int(text), n >= 0 else {
                throw .malformedLaunchEnvironment(variable: variable, value: text ?? "(unset)")
            }
            return n
        }
        let size = try count(sizeVariable, sizeText)
        let rank = try count(rankVariable, environment[rankVariable])
        let localRank = try environment[localRankVariable].map { v throws(DistributedError) in try count(localRankVariable, v) } ?? 0
        guard size >= 1 else { throw .malformedLaunchEnvironment(variable: sizeVariable, value: sizeText) }
        guard rank < size else { throw .rankOutOfRange(rank: rank, size: size) }
        return MPILaunch(size: size, rank: rank, localRank: localRank)
    }
}
