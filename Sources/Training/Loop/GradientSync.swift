// How a DLA phase's gradient is summed (docs/scaling.md): every global batch is cut into the same
// micro-shards at any number of ranks, each rank runs the forward and backward of its micro-shards
// one at a time, and after each backward the phase's gradients are folded into a Double sum
// (Distributed's GradientAccumulator). The sums are all-reduced over the ranks and rounded once to
// Float, so that clipping and AdamW see the global batch's gradient, bit for bit the same at 1 or
// N ranks, and every rank applies the same update. The micro-shard losses are already weighted by
// the global batch's counts (GlobalLossCounts.swift), so the sum needs no further scaling.
import TrainingOps
import Distributed

final class GradientSync {
    let communicator: any Communicator
    private let store: ParameterStore<Float>
    /// One accumulator per set of parameter groups a phase steps (its buffers are fixed views of the store).
    private var accumulators: [[String]: (views: [UnsafeMutableBufferPointer<Float>], sum: GradientAccumulator)] = [:]
    private var active: (views: [UnsafeMutableBufferPointer<Float>], sum: GradientAccumulator)?

    init(store: ParameterStore<Float>, communicator: any Communicator) {
        self.store = store; self.communicator = communicator
    }

    var isDistributed: Bool { communicator.size > 1 }

    /// Starts a phase that steps `groups`: its gradients and their running sum start at zero.
    func begin(groups: Set<String>) throws {
        let key = groups.sorted()
        if accumulators[key] == nil {
            let views = store.layout.specs.filter { groups.contains($0.group) }.map {
                UnsafeMutableBufferPointer(start: store.gradients.pointer + $0.offset, count: $0.count)
            }
            accumulators[key] = (views, try GradientAccumulator(count: views.reduce(0) { $0 + $1.count }))
        }
        store.zeroGradients(where: { groups.contains($0.group) })
        accumulators[key]!.sum.reset()
        active = accumulators[key]
    }

    /// After one micro-shard's backward: adds its gradients to the phase's sum.
    func fold() throws {
        guard let active else { return }
        try active.sum.fold(active.views)
    }

    /// Writes the phase's gradient, summed over its micro-shards and all ranks, into the store
    /// (a collective: every rank calls it each phase).
    func finish() throws {
        guard let phase = active else { return }
        active = nil
        try phase.sum.reduce(into: phase.views, on: communicator)
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
