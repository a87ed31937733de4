// The collective operations data-parallel training needs, behind one protocol so
// that trainers call the same code with and without mpirun: `DistributedWorld.join()`
// gives MPI's world when the process was started by mpirun and a size-1 communicator
// otherwise (whose collectives are no-ops).
//
// All collectives are blocking and must be called by every rank in the same order
// with the same counts (MPI's rule); a rank that skips one hangs the others until
// mpirun kills the job. Calls may come from any thread, one at a time.

/// A group of ranks that run the same program on different data.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index in 0 ..< size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }

    /// Replaces every element by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError)
    /// Replaces every element by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError)
    /// Replaces every element by its maximum over all ranks.
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError)
    /// Copies `root`'s bytes into every other rank's buffer (same length on every rank).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError)
    /// Returns when every rank has called it.
    func barrier() throws(DistributedError)
    /// Every rank's `value`, indexed by rank.
    func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64]
    /// Every rank's `value`, indexed by rank.
    func allGather(_ value: Int) throws(DistributedError) -> [Int]
}

extension Communicator {
    /// Whether this rank is rank 0, the one that writes files and prints summaries.
    public var isRoot: Bool { rank == 0 }

    /// Sums `array` over all ranks in place.
    public func allReduceSum(_ array: inout [Float]) throws(DistributedError) {
        try withTypedBuffer(&array) { b throws(DistributedError) in try allReduceSum(b) }
    }

    /// Sums `array` over all ranks in place.
    public func allReduceSum(_ array: inout [Double]) throws(DistributedError) {
        try withTypedBuffer(&array) { b throws(DistributedError) in try allReduceSum(b) }
    }

    /// The sum of `value` over all ranks.
    public func sum(_ value: Double) throws(DistributedError) -> Double {
        var v = [value]
        try allReduceSum(&v)
        return v[0]
    }

    /// The maximum of `value` over all ranks (e.g. the slowest rank's step time).
    public func max(_ value: Double) throws(DistributedError) -> Double {
        var v = [value]
        try withTypedBuffer(&v) { b throws(DistributedError) in try allReduceMax(b) }
        return v[0]
    }

    /// Copies `root`'s elements into every rank's `array` (same count on every rank).
    public func broadcast<T: BitwiseCopyable>(_ array: inout [T], root: Int) throws(DistributedError) {
        try withTypedBuffer(&array) { b throws(DistributedError) in try broadcast(UnsafeMutableRawBufferPointer(b), root: root) }
    }
}

/// `withUnsafeMutableBufferPointer` with a typed error (the standard one rethrows untyped).
@inline(__always)
func withTypedBuffer<T>(_ array: inout [T],
                        _ body: (UnsafeMutableBufferPointer<T>) throws(DistributedError) -> Void) throws(DistributedError) {
    let result: Result<Void, DistributedError> = array.withUnsafeMutableBufferPointer { b in
        do throws(DistributedError) { try body(b); return .success(()) } catch { return .failure(error) }
    }
    try result.get()
}
