// How a run executes, apart from what it trains (TrainingRunSpec): the ranks of a data-parallel
// run (docs/scaling.md), the micro-shards they split each global batch into, an early stop, and
// how often the ranks compare their parameters. None of it is stored in the run, so a run started
// at N ranks resumes at any other N.
import TrainingOps
import Distributed
import RecSys

public struct TrainingExecution {
    /// The ranks (mpirun's world, or a single process).
    public var communicator: any Communicator = SingleProcessCommunicator()
    /// Stop once this many optimisation steps are done: the checkpoint and history are written,
    /// validation and the final evaluation skipped (a later --resume continues the epoch).
    public var maxSteps: Int? = nil
    /// Every N steps the ranks check that their parameters are bit-identical (also at the start
    /// and at each epoch's end); 0: only there.
    public var driftCheckEvery = 50
    /// Every global batch is cut into this many micro-shards, at any number of ranks, whose
    /// gradients are computed one at a time and summed in Double (GradientSync.swift): the same
    /// number at 1 and N ranks gives the same parameters. At most this many ranks have work.
    public var microShards = TrainingExecution.defaultMicroShards

    /// 8: a sample each in the recipes' batches of 8, and up to 8 ranks.
    public static let defaultMicroShards = 8

    public init(communicator: any Communicator = SingleProcessCommunicator(), maxSteps: Int? = nil, driftCheckEvery: Int = 50,
                microShards: Int = TrainingExecution.defaultMicroShards) {
        self.communicator = communicator; self.maxSteps = maxSteps; self.driftCheckEvery = driftCheckEvery
        self.microShards = microShards
    }

    var isDistributed: Bool { communicator.size > 1 }
}
