// Data-parallel ranks keep their own copy of the parameters and stay equal only because
// each applies the same all-reduced gradient. A rank that skipped a step, read different
// data into a parameter, or reduced in a different order drifts silently; comparing a
// checksum every few steps turns that into an error naming the ranks and the step.

public enum ParameterDriftCheck {
    /// Gathers every rank's checksum and throws `parameterDrift` unless all are equal.
    /// A collective: every rank calls it at the same step.
    public static func verify(_ checksum: ParameterChecksum, step: Int, on communicator: any Communicator) throws(DistributedError) {
        let all = try communicator.allGather(checksum.value)
        guard all.allSatisfy({ $0 == all[0] }) else { throw .parameterDrift(step: step, checksums: all) }
    }

    /// The same, hashing `buffers` in order.
    public static func verify(_ buffers: [UnsafeBufferPointer<Float>], step: Int, on communicator: any Communicator) throws(DistributedError) {
        var sum = ParameterChecksum()
        for b in buffers { sum.add(b) }
        try verify(sum, step: step, on: communicator)
    }
}
