// The whole HDRec network against finite differences, in Double: the production HDRecNetwork and
// HDRecParameters code instantiated at Double over a tiny random base (TinyHDRec.swift), with the
// trainer's own loss (BranchLoss, as DLATrainer composes it). One loss covers both DLA phases:
//   L(θ) = CE(ẑ_id) + λ·KL(z̃_text ‖ ẑ_id) + CE(ẑ_text) + λ·KL(z̃_id ‖ ẑ_text)
// with the teachers z̃ detached (computed once), LoRA and IPL dropout on (their masks are
// seeded, so L is a fixed function of θ). Every parameter tensor of the network is checked on
// a sample of its coordinates (relative error below 1e-6), and must have a non-zero gradient somewhere.
import TrainingOps
import HDRecInference
import Testing
@testable import Training

struct NetworkCase: Sendable, CustomTestStringConvertible {
    var name: String
    var ipl: IPLKind
    var anchored = false
    var trainNorms = false
    var loraLayers: Int? = nil
    var testDescription: String { name }
}

/// L(θ) and its gradient through the network's backward.
private struct TwoPhaseLoss {
    let network: HDRecNetwork<Double>
    let parameters: HDRecParameters<Double>
    let loss: BranchLoss
    let anchors: [Double]?
    let textTeacher: BranchTeacher<Double>, idTeacher: BranchTeacher<Double>

    init(network: HDRecNetwork<Double>, parameters: HDRecParameters<Double>, anchors: [Double]?) throws {
        self.network = network; self.parameters = parameters; self.anchors = anchors
        loss = BranchLoss(average: .users, usesKL: true, klWeight: 0.7, klTemperature: 2, step: 0)
        let text = try network.forward(TinyHDRec.textPrompts, branch: .text, parameters: parameters, training: true, seed: 100)
        let id = try network.forward(TinyHDRec.idPrompts, branch: .id, parameters: parameters, training: true, seed: 99,
                                     anchors: anchors)
        textTeacher = BranchTeacher(logits: text.logits, rowsPerSequence: text.rowsPerSequence)
        idTeacher = BranchTeacher(logits: id.logits, rowsPerSequence: id.rowsPerSequence)
    }

    /// One phase: its value, and with `backward` its gradient accumulated into the store.
    private func phase(_ branch: AdapterRole, backward: Bool) throws -> Double {
        let f = try network.forward(branch == .id ? TinyHDRec.idPrompts : TinyHDRec.textPrompts, branch: branch,
                                    parameters: parameters, training: true, seed: branch == .id ? 101 : 102,
                                    anchors: branch == .id ? anchors : nil)
        let dLogits = Tensor<Double>(count: f.rowCount * network.itemCount)
        let (ce, kl) = try loss.evaluate(f, teacher: branch == .id ? textTeacher : idTeacher, itemCount: network.itemCount,
                                         dLogits: dLogits)
        guard let kl else { throw HDRecTrainingError.invalidBatch(reason: "the \(branch) phase has no KL term") }
        if backward { try network.backward(f, dLogits: dLogits.const, parameters: parameters) }
        return ce + loss.klWeight * kl
    }

    func value() throws -> Double { try phase(.id, backward: false) + phase(.text, backward: false) }

    func accumulateGradients() throws {
        parameters.store.zeroGradients()
        _ = try phase(.id, backward: true)
        _ = try phase(.text, backward: true)
    }
}

@Suite("HDRec network, whole, against finite differences")
struct HDRecNetworkGradientTests {
    static let cases = [
        NetworkCase(name: "MLP IPL, trained norms", ipl: .mlp, trainNorms: true),
        NetworkCase(name: "factorized IPL, SASRec-anchored ID pass", ipl: .factorized, anchored: true),
        NetworkCase(name: "MLP IPL, LoRA on the top layer only (cut)", ipl: .mlp, loraLayers: 1),
    ]

    @Test("every parameter's gradient matches central differences of the DLA loss", arguments: cases)
    func wholeNetwork(_ c: NetworkCase) throws {
        var config = TinyHDRec.config()
        config.iplKind = c.ipl
        config.idAnchor = c.anchored
        config.trainNorms = c.trainNorms
        config.loraLayers = c.loraLayers
        let base = try TinyHDRec.base(Double.self, seed: 11)
        let network = try TinyHDRec.network(base: base, config: config, seed: 12)
        let p = try HDRecParameters(config: config, base: base, itemCount: TinyHDRec.items, seed: 13)
        // Every tensor random (LoRA B starts at zero, γ at zero: neither would carry a gradient back).
        var rng = TrainingRNG(seed: 14)
        for spec in p.store.layout.specs {
            let v = p.store.parameters.pointer + spec.offset
            let centre = spec.name.hasPrefix(HeadsTensorName.normPrefix) ? 1.0 : 0
            for i in 0 ..< spec.count { v[i] = centre + rng.uniform(-0.5, 0.5) }
        }
        let rows = TinyHDRec.idPrompts.reduce(0) { $0 + $1.supervision.count }
        let anchors = c.anchored ? (0 ..< rows * config.sasrecWidth).map { _ in rng.uniform(-1, 1) } : nil
        let objective = try TwoPhaseLoss(network: network, parameters: p, anchors: anchors)
        try objective.accumulateGradients()
        let analytic = p.store.gradients.array

        // A cut network's [SEQ]/[ALIGN] rows are frozen (the text branch's rows below the cut are cached).
        let frozen: (HDRecParameterKey) -> Bool = { key in
            if case .token = key { return config.isCut } else { return false }
        }
        var checked = 0, worst = 0.0
        for key in p.keys {
            let spec = p.store.layout.specs[try p.store.layout.index(of: key.name)]
            let gradient = analytic[spec.offset ..< spec.offset + spec.count]
            if frozen(key) {
                #expect(gradient.allSatisfy { $0 == 0 }, "\(key): frozen in a cut network, yet it has a gradient")
                continue
            }
            #expect(gradient.contains { $0 != 0 }, "\(key): gradient is all zero, the check proves nothing there")
            let values = try p.parameter(key)
            for i in stride(from: 0, to: spec.count, by: max(1, spec.count / 4)) {
                let saved = values[i]
                func value(at x: Double) throws -> Double {
                    values[i] = x
                    defer { values[i] = saved }
                    return try objective.value()
                }
                // The five-point stencil (error O(h⁴)): the factorized head's logits curve strongly
                // enough that the central difference's O(h²) error reaches 1e-6 at h = 1e-5.
                let h = 1e-4
                let numeric = (8 * (try value(at: saved + h) - value(at: saved - h))
                               - (try value(at: saved + 2 * h) - value(at: saved - 2 * h))) / (12 * h)
                let exact = gradient[spec.offset + i]
                let error = abs(numeric - exact) / max(abs(numeric) + abs(exact), 1e-3)
                worst = max(worst, error)
                #expect(error < 1e-6, "\(key)[\(i)]: analytic \(exact), numeric \(numeric)")
                checked += 1
            }
        }
        // Both branches' adapters, the projector, the IPL and the added tokens (unless frozen) were all reached.
        #expect(p.keys.contains { if case .lora(.id, _, _, _) = $0 { true } else { false } })
        #expect(p.keys.contains { if case .lora(.text, _, _, _) = $0 { true } else { false } })
        #expect(checked > 4 * 20, "only \(checked) coordinates checked")
        print("HDRec network gradient check (\(c.name)): \(checked) coordinates, worst relative error \(worst)")
    }
}
