// What data-parallel SASRec relies on: a batch split into shards, each run on its own with the
// global position count as normaliser and its samples' keys, gives losses and gradients that
// sum to the whole batch's (dropout masks and BCE negatives keyed by sample, not by place in
// the batch). scripts/mpi-test.sh checks the same end to end under mpirun.
import Testing
@testable import RecSys

@Suite("SASRec data-parallel shards")
struct SASRecShardingTests {
    static let sequences: [[Int]] = [[0, 3, 5], [6], [2, 2, 4, 1], [1, 5]]
    static let targets: [[Int]] = [[3, 5, 1], [0], [2, 4, 1, 6], [5, 2]]
    static let keys: [UInt64] = [40, 41, 42, 43]

    static func run(_ model: SASRecModel<Double>, _ samples: Range<Int>, keys: [UInt64] = keys,
                    normalizer: Int?) -> (loss: Double, grads: [Double]) {
        let batch = SASRecBatch(sequences: samples.map { sequences[$0][...] }, keys: samples.map { keys[$0] })
        var grads = [Double](repeating: 0, count: model.parameters.count)
        let loss = model.lossAndGradient(batch, targets: samples.flatMap { targets[$0] }, dropoutSeed: 9,
                                         normalizer: normalizer, grads: &grads)
        return (loss, grads)
    }

    @Test("shards' losses and gradients sum to the whole batch's, with dropout (CE and BCE)", arguments: [SASRecLoss.ce, .bce])
    func shardsSumToBatch(loss: SASRecLoss) {
        let model = SASRecModel<Double>(config: GradientCheckTests.tinyConfig(loss: loss, dropout: 0.3), numItems: 7)
        let positions = Self.sequences.map(\.count).reduce(0, +)
        let whole = Self.run(model, 0..<4, normalizer: positions)
        for split in [[0..<1, 1..<4], [0..<2, 2..<4], [0..<1, 1..<2, 2..<3, 3..<4]] {
            let parts = split.map { Self.run(model, $0, normalizer: positions) }
            let loss = parts.map(\.loss).reduce(0, +)
            #expect(abs(loss - whole.loss) <= 1e-12 * abs(whole.loss), "\(split): loss \(loss) vs \(whole.loss)")
            let worst = whole.grads.indices.map { i in abs(parts.map { $0.grads[i] }.reduce(0, +) - whole.grads[i]) }.max()!
            #expect(worst <= 1e-12, "\(split): gradient differs by up to \(worst)")
        }
        // The keys do choose the masks: other keys for the same sequences give another loss.
        let rekeyed = Self.run(model, 0..<4, keys: [0, 1, 2, 3], normalizer: positions)
        #expect(rekeyed.loss != whole.loss)
        // Without a normaliser the loss is the batch mean: the global one times positions / shard positions.
        let shard = Self.run(model, 1..<4, normalizer: nil), global = Self.run(model, 1..<4, normalizer: positions)
        #expect(abs(shard.loss * 7 - global.loss * Double(positions)) <= 1e-12)
    }
}
