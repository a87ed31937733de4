// The loss of one DLA phase (paper Eqs. 9-12), as DLATrainer composes it:
//   L = CE(ẑ, targets) + λ · KL(z̃_teacher ‖ ẑ)
// CE over all of the branch's supervised rows; the KL over the leading sequences both
// branches share (users first, then the items both sides have), against a detached teacher.
// Row weights average per user or per position (LossAverage). Generic over the scalar, so the
// whole-network gradient check (Tests/TrainingTests/HDRecNetworkGradientTests.swift) checks
// the trainer's own loss in Double.
import TrainingOps

/// A teacher's detached logits (N_t, I) and how many supervised rows each of its sequences has.
public struct BranchTeacher<T: TrainScalar> {
    public var logits: Tensor<T>
    public var rowsPerSequence: [Int]
    public init(logits: Tensor<T>, rowsPerSequence: [Int]) {
        self.logits = logits; self.rowsPerSequence = rowsPerSequence
    }
}

public struct BranchLoss {
    public var average: LossAverage
    /// Whether the KL term is on at all (`TrainingOptions.klWeight > 0`).
    public var usesKL: Bool
    /// λ at this step (`TrainingOptions.klWeight(step:totalSteps:)`).
    public var klWeight: Double
    public var klTemperature: Double
    /// The optimisation step, for error messages.
    public var step: Int
    /// A data-parallel shard's global denominators (GlobalLossCounts.swift): `ce` for the
    /// branch's CE, `kl` for the shared rows. nil: the batch is the whole batch.
    public var globalCounts: (ce: LossCounts, kl: LossCounts)? = nil

    public init(average: LossAverage, usesKL: Bool, klWeight: Double, klTemperature: Double, step: Int) {
        self.average = average; self.usesKL = usesKL; self.klWeight = klWeight
        self.klTemperature = klTemperature; self.step = step
    }

    func rowWeights<T: TrainScalar>(_ groupSizes: [Int], as: T.Type, global: LossCounts? = nil) -> [T] {
        guard let global else {
            switch average {
            case .users: return RowWeights.perGroupMean(groupSizes: groupSizes)
            case .positions: return RowWeights.batchMean(rows: groupSizes.reduce(0, +))
            }
        }
        // perGroupMean's and batchMean's formulas with the global batch's counts.
        var w: [T] = []
        w.reserveCapacity(groupSizes.reduce(0, +))
        for size in groupSizes where size > 0 {
            switch average {
            case .users: w.append(contentsOf: repeatElement(1 / (T(size) * T(global.groups)), count: size))
            case .positions: w.append(contentsOf: repeatElement(1 / T(global.rows), count: size))
            }
        }
        return w
    }

    /// The leading sequences a student shares with its teacher, checked row for row.
    func sharedRows(_ student: [Int], _ teacher: [Int]) throws -> [Int] {
        let k = min(student.count, teacher.count)
        let shared = Array(student.prefix(k))
        guard shared == Array(teacher.prefix(k)) else {
            throw HDRecTrainingError.invalidBatch(reason: "the text and ID prompts of step \(step) supervise different positions")
        }
        return shared
    }

    /// CE (+ λ·KL against `teacher`) of one branch forward; writes its gradient into dLogits (N, I), zeroed by the caller.
    /// Returns the two terms (kl nil when there is no teacher, no shared row or no KL).
    public func evaluate<T: TrainScalar>(_ f: BranchForward<T>, teacher: BranchTeacher<T>?, itemCount v: Int,
                                         dLogits: Tensor<T>) throws -> (ce: Double, kl: Double?) {
        let n = f.rowCount
        let weights = rowWeights(f.rowsPerSequence, as: T.self, global: globalCounts?.ce)
        let lse = Tensor<T>(count: n)
        let ce = try f.targets.withUnsafeBufferPointer { t in
            try weights.withUnsafeBufferPointer { w in
                let value = try SoftmaxCrossEntropy.forward(losses: nil, lse: lse.pointer, logits: f.logits.const,
                                                            targets: t.baseAddress!, weights: w.baseAddress!, n: n, v: v)
                SoftmaxCrossEntropy.backward(dLogits: dLogits.pointer, logits: f.logits.const, lse: lse.const,
                                             targets: t.baseAddress!, weights: w.baseAddress!, dLoss: 1, n: n, v: v)
                return value
            }
        }
        guard let teacher, usesKL else { return (ce, nil) }
        // KL over the rows both branches have (Eqs. 10, 12), averaged over those sequences.
        let shared = try sharedRows(f.rowsPerSequence, teacher.rowsPerSequence)
        let klWeights = rowWeights(shared, as: T.self, global: globalCounts?.kl)
        let m = klWeights.count
        guard m > 0 else { return (ce, nil) }
        let lseT = Tensor<T>(count: m), lseS = Tensor<T>(count: m)
        let kl = klWeights.withUnsafeBufferPointer { w -> Double in
            let value = KLDivergence.forward(lseTeacher: lseT.pointer, lseStudent: lseS.pointer, teacher: teacher.logits.const,
                                             student: f.logits.const, weights: w.baseAddress!, n: m, v: v,
                                             temperature: klTemperature)
            KLDivergence.backward(dStudent: dLogits.pointer, teacher: teacher.logits.const, student: f.logits.const,
                                  lseTeacher: lseT.const, lseStudent: lseS.const, weights: w.baseAddress!,
                                  dLoss: T(klWeight), n: m, v: v, temperature: klTemperature)
            return value
        }
        return (ce, kl)
    }
}
