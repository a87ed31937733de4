// Cosine learning-rate schedule with linear warm-up, as Hugging Face's
// `get_cosine_schedule_with_warmup` (the public code's scheduler, docs/public-code.md §5.4):
//   step < warmup:  lr = base · step / warmup
//   otherwise:      lr = base · max(0, ½(1 + cos(π · progress))),  progress = (step − warmup) / (total − warmup)
// `step` counts optimizer steps already taken, so the very first update uses lr 0 when warm-up is
// on, exactly as the HF scheduler does. Past totalSteps the rate stays 0.
import Foundation

/// Linear warm-up then half-cosine decay to zero.
public struct CosineSchedule: Sendable, Equatable, Codable {
    public var baseLearningRate: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(baseLearningRate: Double, warmupSteps: Int, totalSteps: Int) {
        self.baseLearningRate = baseLearningRate; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// The learning rate for the update after `step` updates.
    public func learningRate(step: Int) -> Double {
        if step < warmupSteps { return baseLearningRate * Double(step) / Double(max(1, warmupSteps)) }
        // clamped: past totalSteps the rate stays 0 (HF's formula would start a second cosine)
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        return baseLearningRate * max(0, 0.5 * (1 + Foundation.cos(Double.pi * progress)))
    }
}
