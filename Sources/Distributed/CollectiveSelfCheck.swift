// Checks that a communicator computes what data-parallel training relies on, with values
// whose results are exact in Float: the all-reduced sums and maximum, a broadcast from
// the last rank, the gathers, and that the drift check notices one flipped bit. `hdrec
// mpi-check` runs it under mpirun (scripts/mpi-test.sh, part of `make test`).

public enum CollectiveSelfCheck {
    /// What was checked.
    public struct Report: Sendable, Equatable {
        public var rank: Int
        public var size: Int
        /// Elements of each all-reduced test buffer.
        public var elements: Int
        /// Whether a flipped bit on the last rank was reported as drift (only checkable with 2+ ranks).
        public var driftDetected: Bool
    }

    /// Runs every check; a collective, so every rank calls it. Throws `selfCheckFailed`
    /// naming the first check that failed on this rank.
    public static func run(on world: any Communicator, elements: Int = 4099) throws(DistributedError) -> Report {
        let r = world.rank, n = world.size
        // Rank r contributes (r + 1) · w(i), so the sum is n(n+1)/2 · w(i): small integers, exact.
        func weight(_ i: Int) -> Int { i % 97 + 1 }
        let triangle = n * (n + 1) / 2

        var floats = (0 ..< elements).map { Float((r + 1) * weight($0)) }
        try world.allReduceSum(&floats)
        if let i = floats.indices.first(where: { floats[$0] != Float(triangle * weight($0)) }) {
            throw .selfCheckFailed(check: "allReduceSum(Float)", detail: "element \(i) is \(floats[i]), expected \(triangle * weight(i))")
        }
        var doubles = (0 ..< elements).map { Double((r + 1) * weight($0)) + 0.5 }
        try world.allReduceSum(&doubles)
        if let i = doubles.indices.first(where: { doubles[$0] != Double(triangle * weight($0)) + 0.5 * Double(n) }) {
            throw .selfCheckFailed(check: "allReduceSum(Double)", detail: "element \(i) is \(doubles[i])")
        }
        let largest = try world.max(Double(r))
        guard largest == Double(n - 1) else {
            throw .selfCheckFailed(check: "allReduceMax", detail: "got \(largest), expected \(n - 1)")
        }

        let root = n - 1
        var bytes = (0 ..< 1000).map { r == root ? UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) : 0 }
        try world.broadcast(&bytes, root: root)
        if let i = bytes.indices.first(where: { bytes[$0] != UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }) {
            throw .selfCheckFailed(check: "broadcast", detail: "byte \(i) from rank \(root) is \(bytes[i])")
        }

        let ranks = try world.allGather(r)
        guard ranks == Array(0 ..< n) else { throw .selfCheckFailed(check: "allGather(Int)", detail: "got \(ranks)") }
        let wide = try world.allGather(UInt64(r) << 40 | 0xABCD)
        guard wide == (0 ..< n).map({ UInt64($0) << 40 | 0xABCD }) else {
            throw .selfCheckFailed(check: "allGather(UInt64)", detail: "got \(wide)")
        }

        // Every rank now holds the same sums; the drift check must pass, then catch one flipped bit.
        try ParameterDriftCheck.verify(checksum(of: floats), step: 0, on: world)
        var driftDetected = false
        if n > 1 {
            if r == root { floats[elements / 2] = Float(bitPattern: floats[elements / 2].bitPattern ^ 1) }
            do {
                try ParameterDriftCheck.verify(checksum(of: floats), step: 1, on: world)
            } catch {
                guard case let .parameterDrift(step, checksums) = error else { throw error }
                let differing = checksums.indices.filter { checksums[$0] != checksums[0] }
                guard step == 1, differing == [root] else {
                    throw .selfCheckFailed(check: "drift", detail: "reported ranks \(differing) at step \(step), expected [\(root)] at 1")
                }
                driftDetected = true
            }
            guard driftDetected else { throw .selfCheckFailed(check: "drift", detail: "a flipped bit on rank \(root) went unnoticed") }
        }
        try world.barrier()
        return Report(rank: r, size: n, elements: elements, driftDetected: driftDetected)
    }

    private static func checksum(of values: [Float]) -> ParameterChecksum {
        var sum = ParameterChecksum()
        sum.add(values)
        return sum
    }
}
