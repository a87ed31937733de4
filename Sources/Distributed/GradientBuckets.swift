// All-reducing many gradient buffers in buckets of a fixed size instead of one call per
// tensor: a LoRA set is dozens of small tensors, and each all-reduce pays a latency of
// tens of microseconds per ring step whatever its size, so small tensors are packed into
// one message; large ones are cut, so that no message holds up the next for long and a
// trainer can start a bucket as soon as the backward pass has written its gradients
// (buffers are listed in the order they become ready, usually the reverse of the forward).
//
// Bucket b covers elements [b·capacity, (b+1)·capacity) of the buffers laid end to end.

/// Which part of which buffer each bucket holds.
public struct GradientBucketPlan: Sendable, Equatable {
    /// Elements `range` of buffer `buffer`.
    public struct Segment: Sendable, Equatable {
        public var buffer: Int
        public var range: Range<Int>
        public init(buffer: Int, range: Range<Int>) { self.buffer = buffer; self.range = range }
    }

    /// Elements per bucket (the last may hold fewer).
    public let capacity: Int
    /// Segments of each bucket, in buffer order.
    public let buckets: [[Segment]]
    /// Elements over all buffers.
    public let totalCount: Int

    /// - Parameters:
    ///   - counts: elements of each buffer, in the order they are to be reduced.
    ///   - capacity: elements per bucket (at least 1).
    public init(counts: [Int], capacity: Int) throws(DistributedError) {
        guard capacity >= 1 else { throw .bufferSizeMismatch(what: "bucket capacity", expected: 1, found: capacity) }
        var buckets: [[Segment]] = []
        var current: [Segment] = []
        var filled = 0
        for (i, count) in counts.enumerated() {
            guard count >= 0 else { throw .bufferSizeMismatch(what: "gradient buffer \(i)", expected: 0, found: count) }
            var start = 0
            while start < count {
                let n = Swift.min(count - start, capacity - filled)
                current.append(Segment(buffer: i, range: start ..< start + n))
                filled += n; start += n
                if filled == capacity { buckets.append(current); current = []; filled = 0 }
            }
        }
        if !current.isEmpty { buckets.append(current) }
        self.capacity = capacity
        self.buckets = buckets
        totalCount = counts.reduce(0, +)
    }

    /// A plan with buckets of about `megabytes` MB (10^6 bytes) of Float.
    public init(counts: [Int], megabytes: Double) throws(DistributedError) {
        try self.init(counts: counts, capacity: Swift.max(1, Int(megabytes * 1e6) / MemoryLayout<Float>.stride))
    }
}

/// The element types a communicator sums: Float gradients, and the Double sums of
/// GradientAccumulator.
public protocol CollectiveSummable: BinaryFloatingPoint {
    static func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Self>, on communicator: any Communicator) throws(DistributedError)
}

extension Float: CollectiveSummable {
    public static func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>, on communicator: any Communicator) throws(DistributedError) {
        try communicator.allReduceSum(buffer)
    }
}

extension Double: CollectiveSummable {
    public static func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>, on communicator: any Communicator) throws(DistributedError) {
        try communicator.allReduceSum(buffer)
    }
}

/// All-reduces fixed gradient buffers bucket by bucket. A bucket of one segment is reduced
/// in place; a bucket of several is packed into a staging buffer, reduced, and copied back.
/// Not thread-safe: one reducer per trainer thread.
public final class GradientBucketReducer<Element: CollectiveSummable> {
    public let plan: GradientBucketPlan
    private let buffers: [UnsafeMutableBufferPointer<Element>]
    // [capacity] packed segments of the bucket being reduced
    private var staging: [Element]

    /// - Parameter buffers: the gradients, which must stay valid and keep their place for the
    ///   reducer's lifetime (a ParameterStore's views do). `megabytes`: the bucket size in 10^6 bytes.
    public init(buffers: [UnsafeMutableBufferPointer<Element>], megabytes: Double = 25) throws(DistributedError) {
        plan = try GradientBucketPlan(counts: buffers.map(\.count),
                                      capacity: Swift.max(1, Int(megabytes * 1e6) / MemoryLayout<Element>.stride))
        self.buffers = buffers
        staging = plan.buckets.contains { $0.count > 1 } ? [Element](repeating: 0, count: plan.capacity) : []
    }

    /// Sums bucket `index` over all ranks, then multiplies it by `scale` (e.g. 1 / global
    /// batch size for a mean). A collective: every rank reduces the same buckets in order.
    public func allReduceSum(bucket index: Int, on communicator: any Communicator, scale: Element = 1) throws(DistributedError) {
        guard plan.buckets.indices.contains(index) else {
            throw .bufferSizeMismatch(what: "bucket index", expected: plan.buckets.count, found: index)
        }
        let segments = plan.buckets[index]
        if communicator.size == 1 {
            // The sum over one rank is the buffer itself: only the scale is left to apply.
            if scale != 1 { for s in segments { for i in s.range { buffers[s.buffer][i] *= scale } } }
            return
        }
        if segments.count == 1 {
            let s = segments[0]
            let part = UnsafeMutableBufferPointer(rebasing: buffers[s.buffer][s.range])
            try Element.allReduceSum(part, on: communicator)
            if scale != 1 { for i in part.indices { part[i] *= scale } }
            return
        }
        let packed = segments.reduce(0) { $0 + $1.range.count }
        try withTypedBuffer(&staging) { stage throws(DistributedError) in
            var at = 0
            for s in segments {
                let source = buffers[s.buffer]
                for i in s.range { stage[at] = source[i]; at += 1 }
            }
            try Element.allReduceSum(UnsafeMutableBufferPointer(rebasing: stage[0 ..< packed]), on: communicator)
            at = 0
            for s in segments {
                let target = buffers[s.buffer]
                for i in s.range { target[i] = stage[at] * scale; at += 1 }
            }
        }
    }

    /// Every bucket in order.
    public func allReduceSum(on communicator: any Communicator, scale: Element = 1) throws(DistributedError) {
        for b in plan.buckets.indices { try allReduceSum(bucket: b, on: communicator, scale: scale) }
    }
}
