// The unmerged LoRA product y += s · B (A x) for a block of rows (llama.cpp
// llm_build_lora_mm; PEFT lora.Linear.forward), and merging W' = W + s · B A for a
// fixed adapter. Two small f32 products per adapted matrix: the base stays quantized
// and untouched, so any number of adapters can share it.
import Kernels
import Quant

enum LoRAMath {
    /// y[m, out] += scale · (x[m, in] · Aᵀ) · Bᵀ, with `scratch` holding at least m·R floats.
    static func addDelta(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, pair: LoRAPair, scale: Float,
                         rows m: Int, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let r = pair.rank
        pair.a.withUnsafeBufferPointer { a in
            MatMul.linear(scratch, x, a.baseAddress!, m: m, n: r, k: pair.inFeatures, accumulate: false, pool: pool)
        }
        for i in 0 ..< m * r { scratch[i] *= scale }
        pair.b.withUnsafeBufferPointer { b in
            MatMul.linear(y, scratch, b.baseAddress!, m: m, n: pair.outFeatures, k: r, accumulate: true, pool: pool)
        }
    }

    /// W[out, in] += scale · B·A in f32, as one product: W += (scale·B)[out, R] · (Aᵀ)[in, R]ᵀ.
    static func merge(into w: UnsafeMutablePointer<Float>, pair: LoRAPair, scale: Float, pool: ThreadPool) {
        let rows = pair.outFeatures, cols = pair.inFeatures, r = pair.rank
        var aT = [Float](repeating: 0, count: cols * r)   // [in, R]
        for k in 0 ..< r { for j in 0 ..< cols { aT[j * r + k] = pair.a[k * cols + j] } }
        let sB = pair.b.map { $0 * scale }                // [out, R]
        sB.withUnsafeBufferPointer { b in
            aT.withUnsafeBufferPointer { a in
                MatMul.linear(w, b.baseAddress!, a.baseAddress!, m: rows, n: cols, k: r, accumulate: true, pool: pool)
            }
        }
    }
}
