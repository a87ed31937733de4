// Sharding, gradient buckets, checksums and the drift check: the pieces a trainer
// combines for one data-parallel step.
import Testing
@testable import Distributed

@Suite("Sharding, gradient buckets and drift")
struct DataParallelHelperTests {
    @Test("shards are contiguous, in order, differ in size by at most one and cover the batch once",
          arguments: [(10, 3), (8, 8), (3, 5), (0, 2), (17, 1), (128, 32)])
    func sharding(count: Int, size: Int) throws {
        let batch = (0 ..< count).map { $0 * 7 + 1 }
        var joined: [Int] = []
        var sizes: [Int] = []
        for rank in 0 ..< size {
            let shard = try BatchSharding.shard(batch, rank: rank, size: size)
            joined += shard
            sizes.append(shard.count)
        }
        #expect(joined == batch)
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(sizes == sizes.sorted(by: >))   // the larger shards come first
    }

    @Test("10 samples over 3 ranks: 4, 3, 3")
    func shardExample() throws {
        #expect(try BatchSharding.range(count: 10, rank: 0, size: 3) == 0 ..< 4)
        #expect(try BatchSharding.range(count: 10, rank: 1, size: 3) == 4 ..< 7)
        #expect(try BatchSharding.range(count: 10, rank: 2, size: 3) == 7 ..< 10)
        #expect(throws: DistributedError.rankOutOfRange(rank: 3, size: 3)) { try BatchSharding.range(count: 10, rank: 3, size: 3) }
    }

    @Test("a bucket plan packs small buffers together, cuts large ones, and covers every element once")
    func bucketPlan() throws {
        let counts = [3, 0, 2, 11, 1]
        let plan = try GradientBucketPlan(counts: counts, capacity: 4)
        typealias S = GradientBucketPlan.Segment
        #expect(plan.buckets == [
            [S(buffer: 0, range: 0 ..< 3), S(buffer: 2, range: 0 ..< 1)],
            [S(buffer: 2, range: 1 ..< 2), S(buffer: 3, range: 0 ..< 3)],
            [S(buffer: 3, range: 3 ..< 7)],
            [S(buffer: 3, range: 7 ..< 11)],
            [S(buffer: 4, range: 0 ..< 1)],
        ])
        #expect(plan.totalCount == 17)
        #expect(try GradientBucketPlan(counts: [1_000_000], megabytes: 1).capacity == 250_000)
    }

    @Test("bucketed all-reduce sums every element exactly once, scales it, and sends at most a bucket per call")
    func bucketReduce() throws {
        let counts = [5, 1, 9, 2, 30]
        var storage = counts.map { n in (0 ..< n).map { Float($0 + 1) } }
        let expected = storage.map { $0.map { $0 * 4 * 0.125 } }   // 4 identical ranks, mean over 8 samples
        let world = SimulatedRanks(rank: 1, size: 4)
        let pointers = storage.indices.map { i in
            UnsafeMutableBufferPointer<Float>.allocate(capacity: counts[i])
        }
        defer { pointers.forEach { $0.deallocate() } }
        for (p, values) in zip(pointers, storage) { _ = p.initialize(from: values) }
        let reducer = try GradientBucketReducer(buffers: pointers, megabytes: 28e-6)   // 7 floats per bucket
        #expect(reducer.plan.capacity == 7)
        try reducer.allReduceSum(on: world, scale: 0.125)
        storage = pointers.map { Array($0) }
        #expect(storage == expected)
        #expect(world.reducedCounts == [7, 7, 7, 7, 7, 7, 5])
    }

    @Test("on one rank the bucketed all-reduce only applies the scale")
    func bucketReduceSingle() throws {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: 3)
        defer { buffer.deallocate() }
        _ = buffer.initialize(from: [2, 4, 6])
        try GradientBucketReducer(buffers: [buffer], megabytes: 1).allReduceSum(on: SingleProcessCommunicator(), scale: 0.5)
        #expect(Array(buffer) == [1, 2, 3])
    }

    @Test("the checksum sees every bit, including the sign of zero, and not how the values were split")
    func checksum() {
        func sum(_ parts: [[Float]]) -> UInt64 {
            var c = ParameterChecksum()
            for p in parts { c.add(p) }
            return c.value
        }
        let values: [Float] = [0.1, -3, 1e-30, 42]
        #expect(sum([values]) == sum([Array(values[0 ..< 1]), Array(values[1...])]))
        var flipped = values
        flipped[2] = Float(bitPattern: flipped[2].bitPattern ^ 1)
        #expect(sum([values]) != sum([flipped]))
        #expect(sum([[0.0]]) != sum([[-0.0]]))
        #expect(sum([values]) != sum([values + [0]]))   // a trailing zero is not nothing
        #expect(sum([[1, 2]]) != sum([[2, 1]]))
        var d = ParameterChecksum()
        d.add([1.0, 2.0] as [Double])
        #expect(d.words == 4)
    }

    @Test("drift is reported with the step and the ranks whose checksum differs")
    func drift() throws {
        let world = SimulatedRanks(rank: 0, size: 3)
        let params: [Float] = [1, 2, 3]
        let mine = params.withUnsafeBufferPointer { ParameterChecksum($0) }
        try ParameterDriftCheck.verify(mine, step: 10, on: world)
        world.otherChecksums = [2: mine.value ^ 0x10]
        let error = #expect(throws: DistributedError.self) { try ParameterDriftCheck.verify(mine, step: 11, on: world) }
        guard case let .parameterDrift(step, checksums)? = error else {
            Issue.record("expected parameterDrift, got \(String(describing: error))")
            return
        }
        #expect(step == 11)
        #expect(checksums == [mine.value, mine.value, mine.value ^ 0x10])
        let text = DistributedError.parameterDrift(step: step, checksums: checksums).description
        #expect(text.contains("at step 11"))
        #expect(text.contains("ranks 0, 1 have 0x\(String(mine.value, radix: 16))"))
        #expect(text.contains("rank 2 has 0x\(String(mine.value ^ 0x10, radix: 16))"))
    }
}
