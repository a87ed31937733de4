// The data-parallel half of a DLA phase (docs/scaling.md): after each rank's backward over its
// shard, the phase's gradient tensors are summed over the ranks in buckets (Distributed's
// GradientBucketReducer), so that clipping and AdamW see the global batch's gradient and every
// rank applies the same update. The shard losses are already weighted by the global batch's
// counts (GlobalLossCounts.swift), so the sum needs no further scaling.
import TrainingOps
import Distributed

final class GradientSync {
    let communicator: any Communicator
    private let store: ParameterStore<Float>
    /// One reducer per set of parameter groups a phase steps (its buffers are fixed views of the store).
    private var reducers: [[String]: GradientBucketReducer] = [:]

    init(store: ParameterStore<Float>, communicator: any Communicator) {
        self.store = store; self.communicator = communicator
    }

    var isDistributed: Bool { communicator.size > 1 }

    /// Sums the gradients of `groups` over all ranks (a collective: every rank calls it each phase).
    func allReduce(groups: Set<String>) throws {
        guard isDistributed else { return }
        let key = groups.sorted()
        let reducer: GradientBucketReducer
        if let existing = reducers[key] { reducer = existing } else {
            // Buffers in reverse layout order, the order a backward pass finishes them.
            let views = store.layout.specs.reversed().filter { groups.contains($0.group) }.map {
                UnsafeMutableBufferPointer(start: store.gradients.pointer + $0.offset, count: $0.count)
            }
            reducer = try GradientBucketReducer(buffers: views)
            reducers[key] = reducer
        }
        try reducer.allReduceSum(on: communicator)
    }

    /// Sums a step's reported figures over the ranks: each rank's CE and KL are its shard's part of
    /// the global average, so the sums are the global batch's losses.
    func allReduce(_ losses: inout StepLosses, klRanOn: (text: Bool, id: Bool)) throws {
        guard isDistributed else { return }
        var v = [losses.textCE ?? 0, losses.idCE ?? 0, losses.textKL ?? 0, losses.idKL ?? 0,
                 klRanOn.text ? 1 : 0, klRanOn.id ? 1 : 0, Double(losses.tokens)]
        try communicator.allReduceSum(&v)
        if losses.textCE != nil { losses.textCE = v[0] }
        if losses.idCE != nil { losses.idCE = v[1] }
        losses.textKL = v[4] > 0 ? v[2] : nil
        losses.idKL = v[5] > 0 ? v[3] : nil
        losses.tokens = Int(v[6])
    }

    /// Throws DistributedError.parameterDrift unless every rank holds bit-identical parameters.
    func verifyIdenticalParameters(step: Int) throws {
        guard isDistributed else { return }
        let all = UnsafeBufferPointer(start: UnsafePointer(store.parameters.pointer), count: store.layout.totalCount)
        try ParameterDriftCheck.verify([all], step: step, on: communicator)
    }
}
