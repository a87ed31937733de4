// The trainer's f32 network in eval mode (dropout off) as an HDRecPassScoring: the
// same prompts as serving, both branches batched, logits read at the last [SEQ].
// Validation during training and the run's final evaluation go through it and
// HDRecInference's HDRecScorer, the same fusion and ranking code `hdrec evaluate` and
// the server use; only the decoder differs (f32 dequantized base here, the GGUF's own
// types there), which the export-agreement test bounds.
import TrainingOps
import Foundation
import HDRecInference
import RecSys

public final class TrainedPassScorer: HDRecPassScoring {
    public let network: HDRecNetwork<Float>
    public let parameters: HDRecParameters<Float>
    public let prompts: PromptBuilder
    public let anchors: SASRecAnchors?

    public init(network: HDRecNetwork<Float>, parameters: HDRecParameters<Float>, prompts: PromptBuilder, anchors: SASRecAnchors? = nil) {
        self.network = network; self.parameters = parameters; self.prompts = prompts; self.anchors = anchors
    }

    public var itemCount: Int { network.itemCount }

    /// Both branches' IPL logits at each history's read position, eval mode: [B][I] each.
    public func passScores(histories: [[Int]]) throws -> HDRecModel.PassScores {
        guard !histories.isEmpty else { return HDRecModel.PassScores(text: [], id: [], usedHistory: []) }
        let built = try histories.map { try prompts.userPrompts(history: $0) }
        func run(_ branch: AdapterRole) throws -> [[Float]] {
            // The anchored ID pass reads SASRec's state after each whole history.
            let states = branch == .id && network.config.anchored
                ? try anchors.map { try $0.states(histories: histories, rows: histories.map { _ in 1 }) } : nil
            let f = try network.forward(built.map { branch == .text ? $0.text : $0.id }, branch: branch,
                                        parameters: parameters, training: false, seed: 0, supervisedOnlyLast: true,
                                        anchors: states)
            let v = network.itemCount
            return (0 ..< built.count).map { Array(UnsafeBufferPointer(start: f.logits.pointer + $0 * v, count: v)) }
        }
        return HDRecModel.PassScores(text: try run(.text), id: try run(.id), usedHistory: built.map(\.text.items))
    }
}
