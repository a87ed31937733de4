// MPI_COMM_WORLD through a dlopened Open MPI (OpenMPILibrary.swift). Created once per
// process by DistributedWorld, which also finalizes it.
//
// MPI is initialised with MPI_THREAD_SERIALIZED and every call holds `lock`: the trainers'
// async commands may resume on another thread between calls, and a later gradient-bucket
// thread may overlap all-reduces with the backward pass, so calls can come from any
// thread but never two at once. MPI counts are `int`: longer buffers go in chunks.
import Foundation

/// Every process of an mpirun job, as one communicator.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// The libmpi that was loaded (for logs).
    public var libraryPath: String { library.path }

    let library: OpenMPILibrary
    private let lock = NSLock()
    private var isFinalized = false
    /// Elements per MPI call (MPI counts are 32-bit).
    static let maxCountPerCall = Int(Int32.max)

    /// Initialises MPI unless something else in the process already did, and checks
    /// that MPI agrees with mpirun's environment about the job.
    init(library: OpenMPILibrary, launch: MPILaunch) throws(DistributedError) {
        self.library = library
        var flag: Int32 = 0
        try library.check(library.initialized(&flag), "MPI_Initialized")
        if flag == 0 {
            var provided: Int32 = 0
            try library.check(library.initThread(nil, nil, OpenMPILibrary.threadSerialized, &provided), "MPI_Init_thread")
            guard provided >= OpenMPILibrary.threadSerialized else {
                throw .threadSupportTooLow(required: OpenMPILibrary.threadSerialized, provided: provided)
            }
        }
        // The default handler (MPI_ERRORS_ARE_FATAL) kills the job without a word to the
        // caller; with MPI_ERRORS_RETURN failures come back as codes and become typed errors.
        try library.check(library.commSetErrhandler(library.commWorld, library.errorsReturn), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try library.check(library.commRank(library.commWorld, &r), "MPI_Comm_rank")
        try library.check(library.commSize(library.commWorld, &s), "MPI_Comm_size")
        rank = Int(r); size = Int(s)
        guard size == launch.size else { throw .launchMismatch(variable: MPILaunch.sizeVariable, environment: launch.size, mpi: size) }
        guard rank == launch.rank else { throw .launchMismatch(variable: MPILaunch.rankVariable, environment: launch.rank, mpi: rank) }
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        try allReduceInPlace(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, stride: MemoryLayout<Float>.stride,
                             type: library.float, op: library.opSum)
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        try allReduceInPlace(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, stride: MemoryLayout<Double>.stride,
                             type: library.double, op: library.opSum)
    }

    public func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        try allReduceInPlace(UnsafeMutableRawPointer(buffer.baseAddress), count: buffer.count, stride: MemoryLayout<Double>.stride,
                             type: library.double, op: library.opMax)
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {
        guard (0 ..< size).contains(root) else { throw .rankOutOfRange(rank: root, size: size) }
        var offset = 0
        while offset < buffer.count {
            let n = Swift.min(buffer.count - offset, Self.maxCountPerCall)
            try locked("MPI_Bcast") { library.bcast(buffer.baseAddress! + offset, Int32(n), library.byte, Int32(root), library.commWorld) }
            offset += n
        }
    }

    public func barrier() throws(DistributedError) {
        try locked("MPI_Barrier") { library.barrier(library.commWorld) }
    }

    public func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64] {
        try gather(value, type: library.uint64)
    }

    public func allGather(_ value: Int) throws(DistributedError) -> [Int] {
        try gather(Int64(value), type: library.int64).map { Int($0) }
    }

    /// MPI_Finalize, once; later collectives throw `finalized`.
    func finalize() throws(DistributedError) {
        lock.lock(); defer { lock.unlock() }
        guard !isFinalized else { return }
        isFinalized = true
        try library.check(library.finalize(), "MPI_Finalize")
    }

    /// MPI_Abort on the whole job: mpirun ends every rank, also those blocked in a collective.
    /// Takes no lock, since another thread may hold it inside a blocked call.
    func abort(code: Int32) -> Never {
        _ = library.abort(library.commWorld, code)
        exit(code)   // MPI_Abort does not return in Open MPI; this is for the compiler
    }

    private func gather<T: BitwiseCopyable>(_ value: T, type: OpenMPILibrary.Handle) throws(DistributedError) -> [T] {
        var send = value
        var received = [T](repeating: value, count: size)
        let result: Result<Void, DistributedError> = received.withUnsafeMutableBytes { out in
            withUnsafeBytes(of: &send) { input in
                do throws(DistributedError) {
                    try locked("MPI_Allgather") {
                        library.allgather(input.baseAddress, 1, type, out.baseAddress, 1, type, library.commWorld)
                    }
                    return .success(())
                } catch { return .failure(error) }
            }
        }
        try result.get()
        return received
    }

    private func allReduceInPlace(_ base: UnsafeMutableRawPointer?, count: Int, stride: Int,
                                  type: OpenMPILibrary.Handle, op: OpenMPILibrary.Handle) throws(DistributedError) {
        guard let base, count > 0 else { return try emptyCollectiveCheck() }
        var offset = 0
        while offset < count {
            let n = Swift.min(count - offset, Self.maxCountPerCall)
            try locked("MPI_Allreduce") {
                library.allreduce(OpenMPILibrary.inPlace, base + offset * stride, Int32(n), type, op, library.commWorld)
            }
            offset += n
        }
    }

    /// An empty buffer makes no MPI call (every rank has the same, empty, count).
    private func emptyCollectiveCheck() throws(DistributedError) {
        lock.lock(); defer { lock.unlock() }
        if isFinalized { throw .finalized(operation: "MPI_Allreduce") }
    }

    private func locked(_ function: String, _ call: () -> Int32) throws(DistributedError) {
        lock.lock(); defer { lock.unlock() }
        guard !isFinalized else { throw .finalized(operation: function) }
        try library.check(call(), function)
    }
}
