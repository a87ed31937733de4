// A test double for data-parallel ranks inside one process: `ThreadedRanks.group(size:)` gives
// one communicator per rank, each to be driven from its own thread; collectives meet at a
// condition variable and combine the ranks' buffers in rank order, as a real all-reduce would
// (but exactly, and deterministically). For code that must behave as under mpirun.
import Distributed
import Foundation

final class ThreadedRanks: Communicator, @unchecked Sendable {
    /// The meeting point the ranks of one group share.
    final class Meeting: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var round = 0
        private var contributions: [[Double]?]
        private var result: [Double] = []

        init(size: Int) {
            self.size = size
            contributions = Array(repeating: nil, count: size)
        }

        /// Blocks until every rank has contributed, then returns `combine` of all contributions (in rank order).
        func exchange(rank: Int, _ values: [Double], _ combine: ([[Double]]) -> [Double]) -> [Double] {
            condition.lock(); defer { condition.unlock() }
            let myRound = round
            contributions[rank] = values
            if contributions.allSatisfy({ $0 != nil }) {
                result = combine(contributions.map { $0! })
                contributions = Array(repeating: nil, count: size)
                round += 1
                condition.broadcast()
            } else {
                while round == myRound { condition.wait() }
            }
            return result
        }
    }

    let rank: Int
    var size: Int { meeting.size }
    private let meeting: Meeting

    private init(rank: Int, meeting: Meeting) { self.rank = rank; self.meeting = meeting }

    static func group(size: Int) -> [ThreadedRanks] {
        let meeting = Meeting(size: size)
        return (0..<size).map { ThreadedRanks(rank: $0, meeting: meeting) }
    }

    /// Runs `body(rank communicator)` on one thread per rank and returns the results by rank.
    static func run<R>(size: Int, _ body: @escaping (ThreadedRanks) throws -> R) throws -> [R] {
        // The test's closures capture scorers and datasets that are only read, from every rank.
        let shared = RankBody(call: body)
        let ranks = group(size: size)
        let results = ResultBox<R>(count: size)
        let done = DispatchGroup()
        for r in ranks {
            done.enter()
            Thread { results.set(r.rank, Result { try shared.call(r) }); done.leave() }.start()
        }
        done.wait()
        return try results.values.map { try $0!.get() }
    }

    struct RankBody<R>: @unchecked Sendable { let call: (ThreadedRanks) throws -> R }

    final class ResultBox<R>: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Result<R, any Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ v: Result<R, any Error>) { lock.lock(); values[i] = v; lock.unlock() }
    }

    private func sum(_ values: [Double]) -> [Double] {
        meeting.exchange(rank: rank, values) { all in all.dropFirst().reduce(all[0]) { zip($0, $1).map { $0 + $1 } } }
    }

    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws(DistributedError) {
        let out = sum(buffer.map(Double.init))
        for i in buffer.indices { buffer[i] = Float(out[i]) }
    }
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        let out = sum(Array(buffer))
        for i in buffer.indices { buffer[i] = out[i] }
    }
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws(DistributedError) {
        let out = meeting.exchange(rank: rank, Array(buffer)) { all in all.dropFirst().reduce(all[0]) { zip($0, $1).map { Swift.max($0, $1) } } }
        for i in buffer.indices { buffer[i] = out[i] }
    }
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(DistributedError) {
        let bytes = buffer.map(Double.init)
        let out = meeting.exchange(rank: rank, bytes) { all in all[root] }
        for i in buffer.indices { buffer[i] = UInt8(out[i]) }
    }
    func barrier() throws(DistributedError) { _ = meeting.exchange(rank: rank, []) { _ in [] } }
    func allGather(_ value: UInt64) throws(DistributedError) -> [UInt64] {
        // Two 32-bit halves, each exact in a Double.
        let halves = meeting.exchange(rank: rank, [Double(value >> 32), Double(value & 0xFFFF_FFFF)]) { $0.flatMap { $0 } }
        return (0..<size).map { UInt64(halves[2 * $0]) << 32 | UInt64(halves[2 * $0 + 1]) }
    }
    func allGather(_ value: Int) throws(DistributedError) -> [Int] {
        meeting.exchange(rank: rank, [Double(value)]) { $0.flatMap { $0 } }.map { Int($0) }
    }
}
