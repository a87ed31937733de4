// The text prompts' activations at the cut, computed once (docs/training.md "Recipes and the shipped configuration").
//
// With LoRA on the top layers only (`HDRecNetworkConfig.loraLayers`), a text prompt's input
// to the lowest adapted layer depends on nothing trainable: its tokens are frozen embeddings,
// the `[SEQ]`/`[ALIGN]` rows are frozen in a cut network, the layers below carry no LoRA (so
// no dropout either), and positions restart at 0 in every prompt, so padding never changes
// them. The first forward of a prompt stores those rows (f16, (T, C)); every later forward
// of the same tokens, in any batch, epoch, phase or validation, starts at the cut.
//
// Memory: T · C · 2 bytes per distinct prompt: about 0.3 MB for a 260-token SmolLM2 prompt,
// 2.5 GB for all 8,317 Scientific training prompts. `capacityBytes` bounds it; prompts past it
// are computed every time (counted in `misses`).
import TrainingOps
import Foundation

public final class ActivationCache: @unchecked Sendable {
    /// The layer whose input is cached.
    public let layer: Int
    public let width: Int
    public let capacityBytes: Int
    private var rows: [[Int32]: [Float16]] = [:]
    public private(set) var bytes = 0
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(layer: Int, width: Int, capacityBytes: Int = 8 << 30) {
        self.layer = layer; self.width = width; self.capacityBytes = capacityBytes
    }

    public var entries: Int { rows.count }

    /// The cached (T, C) rows of a prompt, written to `out`; false if absent.
    func load<T: TrainScalar>(_ tokens: [Int32], into out: UnsafeMutablePointer<T>) -> Bool {
        guard let stored = rows[tokens] else { return false }
        stored.withUnsafeBufferPointer { s in
            for i in 0 ..< s.count { out[i] = T(Float(s[i])) }
        }
        return true
    }

    func contains(_ tokens: [Int32]) -> Bool { rows[tokens] != nil }

    /// Stores a prompt's (T, C) rows if there is room.
    func store<T: TrainScalar>(_ tokens: [Int32], from rowsPointer: UnsafePointer<T>) {
        let n = tokens.count * width
        guard rows[tokens] == nil, bytes + 2 * n <= capacityBytes else { return }
        rows[tokens] = (0 ..< n).map { Float16(Float(rowsPointer[$0])) }
        bytes += 2 * n
    }

    func count(hit: Bool) { if hit { hits += 1 } else { misses += 1 } }
}
