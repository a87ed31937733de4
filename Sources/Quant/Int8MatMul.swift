// The integer prefill path of QuantizedMatMul.linear (kernels in Sources/CQuantKernels):
//     y[m, n] (+)= x[m, k] · Wᵀ,  x quantized to 8-bit codes per 32 values, W: WeightMatrix [n, k]
// 1. x is quantized once per product into the calling thread's operand scratch, rows in
//    parallel: codes [mp, k], block scales [mp/4, nb, 4], block sums [mp, nbp]
//    (mp = m rounded up to the 4-token tile, padding rows zero).
// 2. Tasks follow LinearPlan (up to 48 W rows × groups of 16-token slivers); each task
//    unpacks its W rows into 8-bit codes and f32 block scales (its panel, per-thread task
//    scratch, ≤ 48 · 1536 B of codes: L2) and runs the kernel over its tokens (AVX2: rows
//    interleaved 8 at a time × 4-token tiles, int8_rows.c; VNNI: 2-row × 4-token tiles).
//    The unpacking is amortized over all of the task's tokens.
// Every output element is one kernel accumulation over the whole of k, so results do not
// depend on the thread count.
import CQuantKernels
import Kernels

public enum Int8MatMul {
    /// True when this CPU runs the integer kernels (AVX2, FMA, F16C).
    public static let isAvailable: Bool = hdq_int8_supported() != 0

    /// The kernel variant the products run: by default the fastest this CPU has; setting
    /// one it lacks gives `.avx2`. Set it before products run, not while they do (tests and
    /// benchmarks compare the variants; Zen 3 runs `.avx2`).
    public static var kernel: Int8Kernel {
        get { Int8Kernel(rawValue: Int(hdq_kernel())) ?? .avx2 }
        set { _ = hdq_set_kernel(Int32(newValue.rawValue)) }
    }

    /// The variants this CPU runs.
    public static var availableKernels: [Int8Kernel] {
        Int8Kernel.allCases.filter { hdq_kernel_supported(Int32($0.rawValue)) != 0 }
    }

    /// Products with fewer activation rows take the f32 path (decoding: bound by reading W).
    public static let minRows = LinearKernel.tiledMinRows

    /// True when `type` has an integer kernel (whether or not this CPU can run it).
    public static func hasKernel(_ type: GGMLType) -> Bool {
        hdq_type_supported(Int32(type.rawValue)) != 0
    }

    /// True when a product of `m` rows with `weight` would take the integer path.
    public static func applies(to weight: WeightMatrix, m: Int) -> Bool {
        isAvailable && m >= minRows && weight.cols % 32 == 0 && hasKernel(weight.type)
    }

    /// y[m, n] (+)= x[m, k]·Wᵀ through the integer kernels (precondition: `applies(to:m:)`).
    /// `packed`: W unpacked ahead of time (Int8PackedWeight of this `weight`), so the tasks
    /// skip their unpacking; nil unpacks per task.
    public static func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, weight: WeightMatrix,
                              m: Int, accumulate: Bool = false, pool: ThreadPool? = .shared,
                              packed: Int8PackedWeight? = nil) {
        precondition(applies(to: weight, m: m), "Int8MatMul.linear: no integer kernel for \(weight.type) at m = \(m)")
        let n = weight.rows, k = weight.cols
        guard n > 0 else { return }
        let acts = Int8Activations(x, m: m, k: k, pool: pool)
        let plan = LinearPlan(m: m, n: n, threads: pool?.threadCount ?? 1)
        let type = Int32(weight.type.rawValue)
        QuantizedMatMul.parallel(pool, plan.taskCount) { t in
            let (rows, slivers) = plan.task(t, n: n, m: m)
            let panel = packed.map { $0.slice(rows) } ?? Int8Panel(weight, rows: rows)
            hdq_gemm_slice(type, panel.q, panel.abs, panel.dP, panel.mins, panel.sub, rows.count,
                     acts.q, acts.dT, acts.s, 16 * slivers.lowerBound, min(m, 16 * slivers.upperBound), k,
                     y, n, rows.lowerBound, accumulate ? 1 : 0)
        }
    }
}

/// The instruction sets of the integer kernels (CQuantKernels.h).
public enum Int8Kernel: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// vpmaddubsw + vpmaddwd on ymm, 8 weight rows interleaved per register (any AVX2 CPU, e.g. Zen 3).
    case avx2 = 0
    /// vpdpbusd on ymm (AVX-VNNI).
    case avxVNNI = 1
    /// vpdpbusd on zmm, two blocks per instruction (AVX-512 VNNI).
    case avx512VNNI = 2

    public var description: String {
        switch self {
        case .avx2: return "avx2"
        case .avxVNNI: return "avx-vnni"
        case .avx512VNNI: return "avx512-vnni"
        }
    }
}

/// x[m, k] quantized for the integer kernels, in the calling thread's operand scratch
/// (valid until that thread packs operands again). Layout: CQuantKernels.h "Activations".
struct Int8Activations {
    let q: UnsafeMutablePointer<Int8>
    let dT: UnsafeMutablePointer<Float>
    let s: UnsafeMutablePointer<Float>

    init(_ x: UnsafePointer<Float>, m: Int, k: Int, pool: ThreadPool?) {
        let tile = Int(HDQ_TILE_TOKENS)
        let mp = (m + tile - 1) / tile * tile, nb = k / 32, nbp = (nb + 7) / 8 * 8
        let qBytes = alignedBytes(mp * k), dBytes = alignedBytes(mp * nb * 4)
        let base = ThreadScratch.bytes(qBytes + dBytes + mp * nbp * 4, slot: .operand)
        let q = base.assumingMemoryBound(to: Int8.self)
        let dT = (base + qBytes).assumingMemoryBound(to: Float.self)
        let s = (base + qBytes + dBytes).assumingMemoryBound(to: Float.self)
        let groups = mp / tile
        // Groups of 16 rows per task: quantizing is cheap next to the product.
        let perTask = 4
        QuantizedMatMul.parallel(pool, (groups + perTask - 1) / perTask) { g in
            let r0 = g * perTask * tile
            hdq_quantize_rows(x, k, m, k, r0, min(mp, r0 + perTask * tile), q, dT, s)
        }
        self.q = q; self.dT = dT; self.s = s
    }
}

/// W rows unpacked into 8-bit codes and f32 scales, in the task's scratch (valid until
/// this thread asks for its task slot again). Layout: CQuantKernels.h "Weight panels".
struct Int8Panel {
    let q: UnsafeMutablePointer<UInt8>
    /// Signed types: |code| of the same rows (q itself for the others).
    let abs: UnsafeMutablePointer<UInt8>
    let dP: UnsafeMutablePointer<Float>
    let mins: UnsafeMutablePointer<Float>
    let sub: UnsafeMutablePointer<Int16>

    init(q: UnsafeMutablePointer<UInt8>, abs: UnsafeMutablePointer<UInt8>, dP: UnsafeMutablePointer<Float>,
         mins: UnsafeMutablePointer<Float>, sub: UnsafeMutablePointer<Int16>) {
        self.q = q; self.abs = abs; self.dP = dP; self.mins = mins; self.sub = sub
    }

    init(_ weight: WeightMatrix, rows: Range<Int>) {
        let layout = Int8PanelLayout(weight, rows: rows.count)
        self.init(weight, rows: rows, at: ThreadScratch.bytes(layout.bytes, slot: .task), layout: layout)
    }

    /// Unpacks `rows` of W into `base` (layout.bytes bytes).
    init(_ weight: WeightMatrix, rows: Range<Int>, at base: UnsafeMutableRawPointer, layout: Int8PanelLayout) {
        q = base.assumingMemoryBound(to: UInt8.self)
        abs = weight.type == .q8_0 || weight.type == .q6_K ? q + layout.paddedRows * weight.cols : q
        dP = (base + layout.dPOffset).assumingMemoryBound(to: Float.self)
        mins = (base + layout.minsOffset).assumingMemoryBound(to: Float.self)
        sub = (base + layout.subOffset).assumingMemoryBound(to: Int16.self)
        hdq_repack(Int32(weight.type.rawValue), weight.row(rows.lowerBound).assumingMemoryBound(to: UInt8.self),
                   weight.rowBytes, rows.count, weight.cols, q, dP, mins, sub)
    }
}

/// Where the buffers of a panel of `rows` rows lie in one block (CQuantKernels.h).
struct Int8PanelLayout {
    let paddedRows: Int
    let dPOffset: Int, minsOffset: Int, subOffset: Int, bytes: Int

    init(_ weight: WeightMatrix, rows: Int) {
        var qn = 0, dn = 0, mn = 0, sn = 0
        hdq_panel_sizes(Int32(weight.type.rawValue), rows, weight.cols, &qn, &dn, &mn, &sn)
        paddedRows = (rows + 1) / 2 * 2
        dPOffset = alignedBytes(qn)
        minsOffset = dPOffset + alignedBytes(dn)
        subOffset = minsOffset + alignedBytes(mn)
        bytes = subOffset + (weight.type == .q6_K ? sn : 0)
    }
}

/// A weight matrix unpacked once for the integer kernels (all rows: ~1.6 bytes per weight),
/// so products skip the per-task unpacking (5-7 % of an int8 prefill). Immutable.
public final class Int8PackedWeight: @unchecked Sendable {
    let k: Int
    let rows: Int
    /// Bytes held.
    public let byteCount: Int
    private let storage: UnsafeMutableRawPointer
    private let panel: Int8Panel

    /// nil when `weight`'s type has no integer kernel or its rows are not whole 32-value blocks.
    public init?(_ weight: WeightMatrix) {
        guard Int8MatMul.hasKernel(weight.type), weight.cols % 32 == 0, weight.rows > 0 else { return nil }
        let layout = Int8PanelLayout(weight, rows: weight.rows)
        k = weight.cols
        rows = weight.rows
        byteCount = layout.bytes
        storage = .allocate(byteCount: layout.bytes, alignment: 64)
        panel = Int8Panel(weight, rows: 0..<weight.rows, at: storage, layout: layout)
    }

    deinit { storage.deallocate() }

    /// The panel of rows `r` (r.lowerBound even: pairs share their scale vectors).
    func slice(_ r: Range<Int>) -> Int8Panel {
        let nb = k / 32, nbp = (nb + 7) / 8 * 8, j = r.lowerBound
        return Int8Panel(q: panel.q + j * k, abs: panel.abs + j * k, dP: panel.dP + (j / 2) * nb * 8,
                         mins: panel.mins + j * nbp, sub: panel.sub + j * nb * 16)
    }
}

/// `count` rounded up to whole 64-byte lines (buffers carved from one scratch block stay aligned).
@inline(__always)
func alignedBytes(_ count: Int) -> Int { (count + 63) / 64 * 64 }
