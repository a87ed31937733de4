// ParameterStore: every trainable tensor in one flat buffer per role, with named views.
//
// llm.c's `ParameterTensors` layout (train_gpt2.c): one allocation each for
// parameters, gradients, AdamW's m and v, all sharing one offset table, so the optimizer is a
// single loop and a checkpoint is one write per role. Each tensor carries a group name (HDRec:
// "text" adapter, "id" adapter, "shared" heads, norms, added tokens) so a DLA phase can step only
// its own parameters (paper §3.4, Algorithm 1), and a weight-decay flag (per-tensor decay mask).

/// One named tensor in the layout.
public struct ParameterSpec: Sendable, Equatable, Codable {
    public let name: String
    public let shape: [Int]
    /// Whether AdamW's decoupled weight decay applies.
    public let decay: Bool
    /// The group a training phase selects (e.g. "text", "id", "shared").
    public let group: String
    /// Element offset into the flat buffers.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// The ordered list of tensors and their offsets.
public struct ParameterLayout: Sendable, Equatable, Codable {
    public private(set) var specs: [ParameterSpec] = []
    public private(set) var totalCount = 0

    public init() {}

    /// Appends a tensor; names must be unique.
    public mutating func add(_ name: String, shape: [Int], decay: Bool, group: String) throws {
        if specs.contains(where: { $0.name == name }) { throw TrainingOpsError.duplicateParameter(name: name) }
        let spec = ParameterSpec(name: name, shape: shape, decay: decay, group: group, offset: totalCount)
        specs.append(spec)
        totalCount += spec.count
    }

    public func index(of name: String) throws -> Int {
        guard let i = specs.firstIndex(where: { $0.name == name }) else { throw TrainingOpsError.unknownParameter(name: name) }
        return i
    }
}

/// Flat parameter, gradient and AdamW-moment buffers for a ParameterLayout.
public final class ParameterStore<T: TrainScalar> {
    public let layout: ParameterLayout
    /// (total) each
    public let parameters: Tensor<T>, gradients: Tensor<T>, m: Tensor<T>, v: Tensor<T>
    /// AdamW steps taken per tensor (PyTorch keeps `state['step']` per parameter, and a DLA phase
    /// steps only its own group, so counts differ between groups).
    public var steps: [Int]

    public init(layout: ParameterLayout) {
        self.layout = layout
        parameters = Tensor(count: layout.totalCount); gradients = Tensor(count: layout.totalCount)
        m = Tensor(count: layout.totalCount); v = Tensor(count: layout.totalCount)
        steps = [Int](repeating: 0, count: layout.specs.count)
    }

    /// The parameter view of a tensor: `count` elements.
    public func parameter(_ name: String) throws -> UnsafeMutablePointer<T> {
        parameters.pointer + layout.specs[try layout.index(of: name)].offset
    }

    /// The gradient view of a tensor: `count` elements.
    public func gradient(_ name: String) throws -> UnsafeMutablePointer<T> {
        gradients.pointer + layout.specs[try layout.index(of: name)].offset
    }

    /// Zeroes the gradients of the selected tensors (all by default).
    public func zeroGradients(where select: (ParameterSpec) -> Bool = { _ in true }) {
        for s in layout.specs where select(s) { Tensor<T>.zeroBytes(gradients.pointer + s.offset, count: s.count) }
    }

    /// Σ over the selected tensors, e.g. for checksums in isolation tests.
    public func sum(of role: Tensor<T>, where select: (ParameterSpec) -> Bool) -> Double {
        var total = 0.0
        for s in layout.specs where select(s) { for i in s.offset..<(s.offset + s.count) { total += Double(role[i]) } }
        return total
    }
}
