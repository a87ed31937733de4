// The Distributed module's typed error: each case says what was tried or found,
// so a failed multi-host start can be diagnosed from one rank's message.

/// Errors from starting MPI, from MPI calls, and from the data-parallel checks.
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The process was started by mpirun but no loadable libmpi was found.
    /// `attempts` pairs every path tried with dlerror's reason.
    case libraryNotFound(attempts: [LibraryAttempt])
    /// libmpi loaded but lacks a symbol this module uses (not Open MPI's ABI, or too old).
    case symbolMissing(symbol: String, library: String)
    /// An MPI call returned an error code; `message` is MPI_Error_string's text for it.
    case callFailed(function: String, code: Int32, message: String)
    /// MPI granted a lower thread level than asked (MPI_THREAD_* values, 0 single ... 3 multiple).
    case threadSupportTooLow(required: Int32, provided: Int32)
    /// A launcher variable (e.g. OMPI_COMM_WORLD_SIZE) holds something that is not a count.
    case malformedLaunchEnvironment(variable: String, value: String)
    /// mpirun's environment and MPI_Comm_size/rank disagree.
    case launchMismatch(variable: String, environment: Int, mpi: Int)
    /// A rank or root outside 0 ..< size.
    case rankOutOfRange(rank: Int, size: Int)
    /// A buffer whose length does not match what the call needs.
    case bufferSizeMismatch(what: String, expected: Int, found: Int)
    /// An operation after `finalize()`.
    case finalized(operation: String)
    /// A collective gave a wrong result in CollectiveSelfCheck (`check` names which).
    case selfCheckFailed(check: String, detail: String)
    /// The parameters' checksums differ between ranks at `step` (`checksums[r]` is rank r's).
    case parameterDrift(step: Int, checksums: [UInt64])

    /// One dlopen attempt: the path and why it failed.
    public struct LibraryAttempt: Equatable, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
        public var description: String { "\(path) (\(reason))" }
    }

    public var description: String {
        switch self {
        case let .libraryNotFound(attempts):
            return "started by mpirun but no Open MPI library could be loaded; tried: "
                + attempts.map(\.description).joined(separator: "; ")
                + " (install openmpi-bin and libopenmpi-dev, or set HDREC_MPI_LIBRARY to libmpi.so.40)"
        case let .symbolMissing(symbol, library):
            return "\(library) has no symbol \(symbol): hdrec needs Open MPI 4 or later (libmpi.so.40)"
        case let .callFailed(function, code, message):
            return "\(function) failed with MPI error \(code): \(message)"
        case let .threadSupportTooLow(required, provided):
            return "MPI granted thread level \(provided), hdrec needs \(required) (MPI_THREAD_SERIALIZED)"
        case let .malformedLaunchEnvironment(variable, value):
            return "\(variable)=\"\(value)\" is not a non-negative integer"
        case let .launchMismatch(variable, environment, mpi):
            return "\(variable) says \(environment) but MPI reports \(mpi)"
        case let .rankOutOfRange(rank, size):
            return "rank \(rank) is outside 0..<\(size)"
        case let .bufferSizeMismatch(what, expected, found):
            return "\(what): expected \(expected) elements, found \(found)"
        case let .finalized(operation):
            return "\(operation) after MPI was finalized"
        case let .selfCheckFailed(check, detail):
            return "self-check \(check) failed: \(detail)"
        case let .parameterDrift(step, checksums):
            return "parameters differ between ranks at step \(step): " + Self.driftGroups(checksums)
        }
    }

    /// "ranks 0, 2 have 0x…; rank 1 has 0x…", grouped by checksum in order of first rank.
    static func driftGroups(_ checksums: [UInt64]) -> String {
        var order: [UInt64] = []
        var ranks: [UInt64: [Int]] = [:]
        for (rank, sum) in checksums.enumerated() {
            if ranks[sum] == nil { order.append(sum) }
            ranks[sum, default: []].append(rank)
        }
        return order.map { sum in
            let r = ranks[sum]!
            let hex = "0x" + String(sum, radix: 16)
            return (r.count == 1 ? "rank \(r[0]) has " : "ranks " + r.map(String.init).joined(separator: ", ") + " have ") + hex
        }.joined(separator: "; ")
    }
}
