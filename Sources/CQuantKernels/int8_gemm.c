// Kernel dispatch, and the AVX-VNNI micro-kernel: a tile of 2 weight rows × 4 tokens
// accumulated over the whole depth k, 32 values (one block) per step.
//
// Which kernel runs: AVX2 CPUs (Zen 3) the row-interleaved kernel of int8_rows.c; AVX-VNNI
// CPUs this tile (int8_tile.h with vpdpbusd); AVX-512 VNNI ones int8_gemm_avx512.c.
//
// Per block and row the codes are loaded once (and, for signed types, their absolute
// value taken once); per token the 32 activation bytes are loaded once and meet both rows:
//   p16 = vpmaddubsw(|w|, ±x)        16 × i16: pair sums (|w|·|x| ≤ 128·127, no saturation)
//   p32 = vpmaddwd(p16, ones | sub)   8 × i32: quad sums, or Q6_K's 16-value sub-scales
//   acc = fma(cvt(p32), dw·dx, acc)   8 × f32 lanes, summed once at the end of the tile
// The 8 scale products dw·dx of a block come from one vector multiply of the panel's
// pair-interleaved scales {d0 ×4, d1 ×4} by the tile's 4 token scales (broadcast twice).
// Offset types add Σ_b mw[b]·sx[b] with 8-block vector FMAs after the block loop.
// Registers (offset types): 8 accumulators, 2 weight rows, ones, x, two temporaries.
// With AVX-VNNI one vpdpbusd replaces vpmaddubsw + vpmaddwd except where Q6_K's sub-scales
// need vpmaddwd. (Plain AVX2 ran this tile too until the row-interleaved kernel, which needs
// 60-75 % of its vector operations, replaced it there.)
#include <cpuid.h>
#include <immintrin.h>
#include "layout.h"

/// Chunk of blocks whose scale products are computed ahead of the integer loop (2 KiB of
/// stack): read back with broadcast loads, they cost no shuffles in the loop.
#define HDQ_SCALE_CHUNK 64

#define HDQ_TARGET "avx2,fma,avxvnni"
#define HDQ_NAME(f) f##_vnni
#include "int8_tile.h"
#undef HDQ_TARGET
#undef HDQ_NAME

/// The AVX-512 VNNI variant (int8_gemm_avx512.c).
void hdq_gemm_avx512(int cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                     const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                     float *y, long ldy, long col0, int accumulate);

/// The AVX2 row-interleaved kernel (int8_rows.c).
void hdq_gemm_rows_avx2(int type, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                        const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs,
                        long t0, long t1, long k, float *y, long ldy, long col0, int accumulate);

static int cpu_has_avx_vnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    // CPUID.(EAX=7, ECX=1):EAX bit 4 = AVX-VNNI (VEX-encoded vpdpbusd on ymm).
    return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a >> 4 & 1);
#else
    return 0;
#endif
}

static int cpu_has_avx512_vnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

int hdq_best_kernel(void) {
    if (cpu_has_avx512_vnni()) return HDQ_KERNEL_AVX512_VNNI;
    if (cpu_has_avx_vnni()) return HDQ_KERNEL_AVX_VNNI;
    return HDQ_KERNEL_AVX2;
}

/// -1: not chosen yet (then the best this CPU has).
static int kernel = -1;

int hdq_kernel_supported(int variant) {
    switch (variant) {
    case HDQ_KERNEL_AVX2: return hdq_int8_supported();
    case HDQ_KERNEL_AVX_VNNI: return hdq_int8_supported() && cpu_has_avx_vnni();
    case HDQ_KERNEL_AVX512_VNNI: return hdq_int8_supported() && cpu_has_avx512_vnni();
    default: return 0;
    }
}

int hdq_set_kernel(int requested) {
    kernel = hdq_kernel_supported(requested) ? requested : HDQ_KERNEL_AVX2;
    return kernel;
}

int hdq_kernel(void) {
    if (kernel < 0) kernel = hdq_best_kernel();
    return kernel;
}

void hdq_gemm(int type, const uint8_t *wq, const float *wdP, const float *wmins, const int16_t *wsub,
              long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
              float *y, long ldy, long col0, int accumulate) {
    // Signed types keep the absolute values of their codes after the codes (repack_weights.c).
    const uint8_t *wabs = hdq_class_of(type) == HDQ_UNSIGNED_OFFSET ? wq : wq + hdq_round_up(rows, HDQ_TILE_ROWS) * k;
    hdq_gemm_slice(type, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
}

void hdq_gemm_slice(int type, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                    const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs,
                    long t0, long t1, long k, float *y, long ldy, long col0, int accumulate) {
    const hdq_class cls = hdq_class_of(type);
    if (cls == HDQ_UNSIGNED_OFFSET) wabs = wq;
    const int variant = hdq_kernel();
    if (variant == HDQ_KERNEL_AVX512_VNNI)
        hdq_gemm_avx512(cls, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
    else if (variant == HDQ_KERNEL_AVX_VNNI) gemm_vnni(cls, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
    else hdq_gemm_rows_avx2(type, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
}
