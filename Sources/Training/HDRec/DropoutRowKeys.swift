// The dropout key of each row HDRecNetwork masks: (the sample's global key, the token's
// position in its prompt). With these keys (Sources/TrainingOps/RowKeyedDropout.swift) a sample draws the same LoRA
// and IPL masks whichever batch, row or rank it lands in, so a data-parallel step over shards
// (docs/scaling.md) applies the masks of the single-process step.
//
// Sample keys: `TrainingSampleKey` gives users and items stable keys (their indices), which do
// not depend on the epoch's order, the batch or the number of ranks. Callers that pass none
// (tests, benchmarks) get the prompt's index in the batch.

import TrainingOps
/// The global key of a training sample: users and items in disjoint halves of the key space.
public enum TrainingSampleKey {
    public static func user(_ u: Int) -> UInt64 { UInt64(truncatingIfNeeded: u) << 1 }
    public static func item(_ i: Int) -> UInt64 { UInt64(truncatingIfNeeded: i) << 1 | 1 }
}

enum DropoutRowKeys {
    /// The key of position `position` of the prompt of sample `sample`.
    @inline(__always)
    static func key(sample: UInt64, position: Int) -> UInt64 {
        TrainingRNG.mix(sample &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(position)))
    }

    /// (M) keys of a left-padded batch, row s·T + j: prompt s's position j - starts[s]; padding
    /// rows get negative positions (their values never reach a loss).
    static func tokenRows(batch: SequenceBatch, samples: [UInt64]) -> [UInt64] {
        let t = batch.paddedLength
        var keys = [UInt64](repeating: 0, count: batch.tokenCount)
        for (s, sample) in samples.enumerated() {
            for j in 0 ..< t { keys[s * t + j] = key(sample: sample, position: j - batch.starts[s]) }
        }
        return keys
    }
}
