// Micro-shards and the Double gradient sum: the same global batch gives the same Float gradient,
// bit for bit, whether one rank sums all its micro-shards or two ranks sum half each.
import Foundation
import Testing
@testable import Distributed

/// Two ranks seen from one, for a Double all-reduce: `peer` (the other rank's running sums) is
/// added to this rank's; without a peer the sums are only recorded.
private final class TwoRankPeer: Communicator, @unchecked Sendable {
    let rank: Int
    let size = 2
    var peer: [Double]?
    private(set) var sent: [Double] = []

    init(rank: Int) { self.rank = rank }

    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        sent = Array(buffer)
        if let peer { for i in buffer.indices { buffer[i] += peer[i] } }
    }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {}
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {}
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {}
    func barrier() throws(DistributedError) {}
    func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64] { [value, value] }
    func allGather(_ value: Int) throws(DistributedError) -> [Int] { [value, value] }
}

@Suite("Micro-shards and the Double gradient sum")
struct GradientAccumulatorTests {
    @Test("every micro-shard holds the same samples at 1, 2, 3 and 8 ranks, and the ranks together hold them once, in order",
          arguments: [(8, 8), (10, 8), (12, 8), (5, 8), (16, 4)])
    func microShards(count: Int, microShards: Int) throws {
        let alone = try BatchSharding.microShards(count: count, microShards: microShards, rank: 0, size: 1)
        #expect(alone.map(\.count).reduce(0, +) == count)
        #expect(alone.count == min(count, microShards))   // empty micro-shards are left out
        for size in [2, 3, microShards] where size <= microShards {
            let joined = try (0 ..< size).flatMap { try BatchSharding.microShards(count: count, microShards: microShards, rank: $0, size: size) }
            #expect(joined == alone, "\(size) ranks")
        }
        #expect(throws: DistributedError.self) { try BatchSharding.microShards(count: 4, microShards: 0, rank: 0, size: 1) }
    }

    /// Eight micro-shards' gradients for 4 tensors: values over eight orders of magnitude, both
    /// signs, so that Float sums in different orders round differently.
    static func gradients() -> [[[Float]]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let unit = Float(state >> 40) / Float(1 << 24)
            let magnitude = Float(pow(10.0, Double(state >> 61) - 4))   // 1e-4 ... 1e3
            return (unit - 0.5) * magnitude
        }
        let counts = [3, 257, 1, 40]
        return (0 ..< 8).map { _ in counts.map { n in (0 ..< n).map { _ in next() } } }
    }

    /// `shards`' gradients folded one after the other, then reduced on `communicator`.
    static func accumulate(_ shards: ArraySlice<[[Float]]>, on communicator: any Communicator) throws -> [[Float]] {
        let counts = shards.first!.map(\.count)
        let buffers = counts.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0) }
        defer { buffers.forEach { $0.deallocate() } }
        let accumulator = try GradientAccumulator(count: counts.reduce(0, +))
        for shard in shards {
            for (buffer, values) in zip(buffers, shard) { _ = buffer.initialize(from: values) }
            try accumulator.fold(buffers)
            #expect(buffers.allSatisfy { $0.allSatisfy { $0 == 0 } }, "fold leaves the buffers zeroed for the next backward")
        }
        try accumulator.reduce(into: buffers, on: communicator)
        return buffers.map { Array($0) }
    }

    @Test("one rank folding 8 micro-shards and two ranks folding 4 each give the same Float gradient, bit for bit, where Float sums differ")
    func orderFree() throws {
        let shards = Self.gradients()
        let alone = try Self.accumulate(shards[0 ..< 8], on: SingleProcessCommunicator())
        let second = TwoRankPeer(rank: 1)
        _ = try Self.accumulate(shards[4 ..< 8], on: second)
        let first = TwoRankPeer(rank: 0)
        first.peer = second.sent
        let split = try Self.accumulate(shards[0 ..< 4], on: first)
        #expect(alone.map { $0.map(\.bitPattern) } == split.map { $0.map(\.bitPattern) })

        // What the accumulator is for: summed in Float, the same split rounds differently somewhere.
        func floatSum(_ part: ArraySlice<[[Float]]>) -> [[Float]] {
            part.dropFirst().reduce(part.first!) { total, shard in zip(total, shard).map { zip($0, $1).map { $0 + $1 } } }
        }
        let sequential = floatSum(shards[0 ..< 8])
        let halves = zip(floatSum(shards[0 ..< 4]), floatSum(shards[4 ..< 8])).map { zip($0, $1).map { $0 + $1 } }
        #expect(sequential.map { $0.map(\.bitPattern) } != halves.map { $0.map(\.bitPattern) })
        // And the Double sum is the correctly rounded one wherever the Float sums disagree.
        for (t, tensor) in alone.enumerated() {
            for i in tensor.indices where sequential[t][i] != halves[t][i] {
                let exact = shards.reduce(0.0) { $0 + Double($1[t][i]) }
                #expect(tensor[i] == Float(exact))
            }
        }
    }

    @Test("buffers of another total size are refused, naming the sizes")
    func sizeMismatch() throws {
        let accumulator = try GradientAccumulator(count: 4)
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 3)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1)
        #expect(throws: DistributedError.bufferSizeMismatch(what: "gradient buffers", expected: 4, found: 3)) {
            try accumulator.fold([buffer])
        }
    }
}
