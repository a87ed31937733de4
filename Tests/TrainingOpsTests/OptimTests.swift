// ParameterStore, AdamW group selection (DLA isolation), schedule shape, clipping and init.
import Testing
import GradCheck
@testable import TrainingOps

@Suite("Optimizer and parameter store")
struct OptimTests {
    func store() throws -> ParameterStore<Double> {
        var layout = ParameterLayout()
        try layout.add("text.q.A", shape: [2, 3], decay: true, group: "text")
        try layout.add("id.q.A", shape: [2, 3], decay: true, group: "id")
        try layout.add("ipl.b1", shape: [4], decay: false, group: "shared")
        let s = ParameterStore<Double>(layout: layout)
        var rng = TrainingRNG(seed: 5)
        for i in 0..<layout.totalCount { s.parameters[i] = rng.uniform(-1, 1); s.gradients[i] = rng.uniform(-1, 1) }
        return s
    }

    @Test("named views share one flat buffer per role, in registration order")
    func views() throws {
        let s = try store()
        #expect(s.layout.totalCount == 16)
        #expect(try s.parameter("id.q.A") == s.parameters.pointer + 6)
        #expect(try s.gradient("ipl.b1") == s.gradients.pointer + 12)
        #expect(throws: TrainingOpsError.unknownParameter(name: "nope")) { try s.parameter("nope") }
        var layout = s.layout
        #expect(throws: TrainingOpsError.duplicateParameter(name: "ipl.b1")) {
            try layout.add("ipl.b1", shape: [1], decay: false, group: "shared")
        }
    }

    @Test("a phase's step moves only its groups: the other adapter's parameters and moments stay bit-identical")
    func phaseIsolation() throws {
        let s = try store()
        let before = (s.parameters.array, s.m.array, s.v.array)
        AdamW(weightDecay: 0.01).step(s, learningRate: 1e-2) { $0.group == "text" || $0.group == "shared" }
        for i in 6..<12 {
            #expect(s.parameters[i] == before.0[i] && s.m[i] == before.1[i] && s.v[i] == before.2[i])
        }
        for i in 0..<6 { #expect(s.parameters[i] != before.0[i]) }
        for i in 12..<16 { #expect(s.parameters[i] != before.0[i]) }
        #expect(s.steps == [1, 0, 1])
    }

    @Test("the first AdamW step moves each element by about lr against its gradient's sign")
    func firstStep() throws {
        let s = try store()
        let p0 = s.parameters.array, g = s.gradients.array
        AdamW().step(s, learningRate: 1e-3)
        for i in 0..<p0.count {
            let delta = s.parameters[i] - p0[i]
            #expect(abs(abs(delta) - 1e-3) < 1e-8 && delta * g[i] < 0)
        }
    }

    @Test("the cosine schedule warms up linearly from 0, peaks at the base rate and decays to 0")
    func schedule() {
        let s = CosineSchedule(baseLearningRate: 1, warmupSteps: 10, totalSteps: 110)
        #expect(s.learningRate(step: 0) == 0)
        #expect(abs(s.learningRate(step: 5) - 0.5) < 1e-15)
        #expect(s.learningRate(step: 10) == 1)
        #expect(abs(s.learningRate(step: 60) - 0.5) < 1e-12)
        #expect(s.learningRate(step: 110) < 1e-15 && s.learningRate(step: 500) == 0)
    }

    @Test("clipping scales the selected gradients to the max norm and leaves small ones alone")
    func clipping() throws {
        let s = try store()
        let sel: (ParameterSpec) -> Bool = { $0.group != "id" }
        let idBefore = Array(s.gradients.array[6..<12])
        let norm = GradientClipping.clipGlobalNorm(s, maxNorm: 0.5, where: sel)
        #expect(norm > 0.5)
        #expect(abs(GradientClipping.globalNorm(s, where: sel) - 0.5) < 1e-6)
        #expect(Array(s.gradients.array[6..<12]) == idBefore)
        let small = s.gradients.array
        GradientClipping.clipGlobalNorm(s, maxNorm: 10, where: sel)
        #expect(s.gradients.array == small)
    }

    @Test("LoRA init draws A within ±1/√fan_in and zeroes B; the same seed gives the same values")
    func initialisation() {
        let a = Tensor<Float>(count: 8 * 576), b = Tensor<Float>([Float](repeating: 1, count: 576 * 8))
        var rng = TrainingRNG(seed: 42)
        ParameterInit.lora(a: a.pointer, b: b.pointer, rank: 8, out: 576, in: 576, rng: &rng)
        let bound = Float(1 / 576.0.squareRoot())
        #expect(a.array.allSatisfy { abs($0) <= bound } && a.array.contains { abs($0) > bound * 0.9 })
        #expect(b.array.allSatisfy { $0 == 0 })
        let a2 = Tensor<Float>(count: 8 * 576)
        var rng2 = TrainingRNG(seed: 42)
        ParameterInit.lora(a: a2.pointer, b: b.pointer, rank: 8, out: 576, in: 576, rng: &rng2)
        #expect(a.array == a2.array)
    }

    @Test("AdamW over a flat buffer, both bias-correction forms: two steps with decoupled weight decay equal the numpy closed form")
    func flatBufferGolden() {
        // Tools/recsys_adamw_golden.py. Parameter 2 has no gradient at step 1 and parameter 3
        // never has one: both still decay, and parameter 2's first real step uses t = 2.
        let p0: [Double] = [0.5, -1.0, 2.0, 0.25]
        let grads: [[Double]] = [[0.1, -0.2, 0.0, 0.0], [-0.3, 0.05, 0.4, 0.0]]
        let cases: [(lr: Double, wd: Double, expected: [[Double]])] = [
            (0.1, 0.1, [[0.39500000999999896, -0.8900000049999998, 1.98, 0.2475],
                        [0.44046899102006537, -0.8341531910504468, 1.8857863202735647, 0.245025]]),
            (0.01, 0.0, [[0.4900000009999999, -0.9900000004999999, 2.0, 0.25],
                         [0.49494189911200653, -0.9853053191100446, 1.9925586320273565, 0.25]]),
        ]
        for (c, form) in cases.flatMap({ c in [(c, AdamW.BiasCorrection.moments), (c, .stepSize)] }) {
            var optimizer = AdamWState<Double>(count: 4, rule: AdamW(weightDecay: c.wd), biasCorrection: form)
            var p = p0
            for (step, g) in grads.enumerated() {
                optimizer.update(&p, gradients: g, learningRate: c.lr)
                #expect(optimizer.step == step + 1)
                for i in 0..<4 {
                    #expect(abs(p[i] - c.expected[step][i]) <= 1e-12,
                            "\(form) lr \(c.lr) wd \(c.wd) step \(step + 1) parameter \(i): \(p[i])")
                }
            }
        }
    }
}
