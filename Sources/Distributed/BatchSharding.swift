// Splitting one global batch across ranks. Every rank draws the same global batch (same
// seed, same order) and takes a contiguous shard of it, so the union of the shards is
// exactly the single-process batch and the all-reduced gradient is the batch's gradient.
//
// When the batch does not divide evenly the first `count % size` ranks take one sample
// more; with fewer samples than ranks some shards are empty, and those ranks still join
// the all-reduce (with zero gradients). Trainers that average over samples must divide
// the summed gradient by the global count, not by their shard's.

public enum BatchSharding {
    /// The index range of `rank`'s shard of `count` samples: contiguous, in order, sizes
    /// differing by at most one, covering 0 ..< count exactly once over all ranks.
    public static func range(count: Int, rank: Int, size: Int) throws(DistributedError) -> Range<Int> {
        guard size >= 1, (0 ..< size).contains(rank) else { throw .rankOutOfRange(rank: rank, size: size) }
        guard count >= 0 else { throw .bufferSizeMismatch(what: "batch", expected: 0, found: count) }
        let base = count / size, extra = count % size
        let start = rank * base + Swift.min(rank, extra)
        return start ..< start + base + (rank < extra ? 1 : 0)
    }

    /// `rank`'s contiguous shard of `batch` (e.g. the global batch's sample indices).
    public static func shard<T>(_ batch: [T], rank: Int, size: Int) throws(DistributedError) -> ArraySlice<T> {
        batch[try range(count: batch.count, rank: rank, size: size)]
    }

    /// The micro-shards of a global batch of `count` samples that `rank` computes, as sample
    /// ranges. The batch is cut into `microShards` contiguous micro-shards whatever the number of
    /// ranks, and each rank takes a contiguous run of them: so every micro-shard holds the same
    /// samples at any `size` (GradientAccumulator.swift says why that matters). Empty
    /// micro-shards (a batch smaller than `microShards`) are left out.
    public static func microShards(count: Int, microShards: Int, rank: Int, size: Int) throws(DistributedError) -> [Range<Int>] {
        guard microShards >= 1 else { throw .bufferSizeMismatch(what: "micro-shards", expected: 1, found: microShards) }
        var shards: [Range<Int>] = []
        for m in try range(count: microShards, rank: rank, size: size) {
            let samples = try range(count: count, rank: m, size: microShards)
            if !samples.isEmpty { shards.append(samples) }
        }
        return shards
    }

    /// This communicator's shard of `batch`.
    public static func shard<T>(_ batch: [T], for communicator: any Communicator) throws(DistributedError) -> ArraySlice<T> {
        try shard(batch, rank: communicator.rank, size: communicator.size)
    }
}
