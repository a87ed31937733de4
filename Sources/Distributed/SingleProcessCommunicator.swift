// The communicator of a process started without mpirun: one rank, so every
// collective already holds its result. Trainers call the same code either way.

/// Size 1, rank 0; collectives leave their buffers as they are.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {}
    public func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {}

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {
        guard root == 0 else { throw .rankOutOfRange(rank: root, size: 1) }
    }

    public func barrier() throws(DistributedError) {}
    public func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64] { [value] }
    public func allGather(_ value: Int) throws(DistributedError) -> [Int] { [value] }
}
