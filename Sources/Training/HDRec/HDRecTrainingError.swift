// Errors of HDRec training: each case says what was found.
public enum HDRecTrainingError: Error, CustomStringConvertible, Equatable {
    case missingBaseTensor(name: String)
    case nonFiniteBaseWeight(tensor: String, index: Int)
    case invalidConfiguration(field: String, reason: String)
    case sasrecMismatch(file: String, expectedRows: Int, foundRows: Int)
    case resumeMismatch(field: String, run: String, requested: String)
    case nonFiniteLoss(step: Int, phase: String)
    case emptyTrainingSet(reason: String)
    case invalidBatch(reason: String)
    /// A file of a run directory (run.json, history.json, a checkpoint) or a path it names.
    case runFile(path: String, problem: String)
    /// A checkpoint whose tensors are not this network's (e.g. one written before training used
    /// the bundle's tensor names): the first tensor that differs.
    case checkpointTensor(path: String, tensor: String, problem: String)
    /// A training recipe (a file or an embedded one) with a bad or missing key.
    case recipe(source: String, key: String, problem: String)

    public var description: String {
        switch self {
        case let .missingBaseTensor(name): return "the base model has no tensor '\(name)'"
        case let .nonFiniteBaseWeight(tensor, index): return "base tensor '\(tensor)' holds NaN or Inf at element \(index)"
        case let .invalidConfiguration(field, reason): return "invalid training configuration: \(field) \(reason)"
        case let .sasrecMismatch(file, expected, found):
            return "\(file): SASRec table has \(found) rows but the dataset needs \(expected) (items + 1 padding row)"
        case let .resumeMismatch(field, run, requested):
            return "cannot resume: the run was made with \(field) = \(run), but this command asks for \(requested)"
        case let .nonFiniteLoss(step, phase): return "the \(phase) loss became NaN or Inf at step \(step)"
        case let .emptyTrainingSet(reason): return "nothing to train on: \(reason)"
        case let .invalidBatch(reason): return "invalid training batch: \(reason)"
        case let .runFile(path, problem): return "\(path): \(problem)"
        case let .checkpointTensor(path, tensor, problem):
            return "cannot load checkpoint \(path): tensor '\(tensor)' \(problem) (checkpoints name tensors as the bundle does; "
                + "one written before that, with names like 'projector.w1', cannot be loaded)"
        case let .recipe(source, key, problem): return "\(source): key '\(key)': \(problem)"
        }
    }
}
