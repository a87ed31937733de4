// A test double for a communicator of `size` ranks seen from one of them: every other
// rank is taken to hold the same buffer as this one (so a sum is `size` times the value,
// the situation of identical replicas), gathers return preset values for the others, and
// every call is recorded.
@testable import Distributed

final class SimulatedRanks: Communicator, @unchecked Sendable {
    let rank: Int
    let size: Int
    /// What allGather(UInt64) returns for the other ranks (nil: this rank's value).
    var otherChecksums: [Int: UInt64] = [:]
    /// Element counts of the all-reduce calls, in order.
    private(set) var reducedCounts: [Int] = []

    init(rank: Int, size: Int) { self.rank = rank; self.size = size }

    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        reducedCounts.append(buffer.count)
        for i in buffer.indices { buffer[i] *= Float(size) }
    }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        reducedCounts.append(buffer.count)
        for i in buffer.indices { buffer[i] *= Double(size) }
    }
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) { reducedCounts.append(buffer.count) }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {}
    func barrier() throws(DistributedError) {}
    func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64] {
        (0 ..< size).map { $0 == rank ? value : otherChecksums[$0] ?? value }
    }
    func allGather(_ value: Int) throws(DistributedError) -> [Int] { (0 ..< size).map { $0 == rank ? value : $0 } }
}
