// Integer prefill kernels: activations quantized to 8 bits per 32-value block, weights
// unpacked from their ggml blocks into 8-bit codes, products with AVX2 byte dot products
// (vpmaddubsw + vpmaddwd), scaled and accumulated in f32 once per block.
//
//   y[t, j] (+)= Σ_b  dw[j, b] · dx[t, b] · Σ_i cw[j, 32b + i] · mult · qx[t, 32b + i]
//              +  Σ_b  mw[j, b] · sx[t, b]
//
// where qx are the activation codes (int8, |q| ≤ 127), dx their block scale, sx = dx · Σ qx
// the block sum (for weight types with an offset, mw), cw the weight codes and mult an
// optional 16-value integer sub-scale (Q6_K). See docs/kernels.md "Integer prefill".
//
// The kernels carry `target("avx2,fma,f16c")` attributes instead of file-wide flags, so
// the package builds for any x86-64; callers check `hdq_int8_supported()` first.
#ifndef CQUANTKERNELS_H
#define CQUANTKERNELS_H

#include <stdint.h>

/// Weight layouts the integer path reads (values match GGMLType's raw values).
typedef enum {
    HDQ_Q4_0 = 2,
    HDQ_Q4_1 = 3,
    HDQ_Q5_0 = 6,
    HDQ_Q5_1 = 7,
    HDQ_Q8_0 = 8,
    HDQ_Q4_K = 12,
    HDQ_Q5_K = 13,
    HDQ_Q6_K = 14,
} hdq_type;

/// Tokens per micro-kernel tile (activation buffers are padded to a multiple of it).
#define HDQ_TILE_TOKENS 4
/// Weight rows per micro-kernel tile (panels are padded to a multiple of it).
#define HDQ_TILE_ROWS 2

/// 1 when the CPU has AVX2, FMA and F16C (the integer kernels may run), else 0.
int hdq_int8_supported(void);

/// 1 when `type` (a ggml type id) has an integer kernel, else 0.
int hdq_type_supported(int type);

// MARK: - Activations
// Buffers for m rows of k values (k a multiple of 32), nb = k/32, nbp = nb rounded up to
// 8, mp = m rounded up to HDQ_TILE_TOKENS; padding rows and blocks are zero:
//   q   int8  [mp][k]        codes
//   dT  float [mp/4][nb][4]  block scales, 4 tokens side by side (one load per tile)
//   s   float [mp][nbp]      block sums dx · Σq

/// Quantizes rows [r0, r1) of x[m, k] (rows ldx apart; rows ≥ m are written as padding).
void hdq_quantize_rows(const float *x, long ldx, long m, long k, long r0, long r1,
                       int8_t *q, float *dT, float *s);

// MARK: - Weight panels
// A panel holds `rows` weight rows (padded with zero rows to rp, a multiple of 2):
//   q    uint8/int8 [rp][k]     codes (unsigned for types with an offset, else signed),
//        then for signed types uint8 [rp][k] their absolute values (vpmaddubsw's operand)
//   dP   float [rp/2][nb][8]    block scales of a row pair: {d(2p) ×4, d(2p+1) ×4}
//   mins float [rp][nbp]        block offsets (value = d·code + min), zero padded
//   sub  int16 [rp][nb][16]     Q6_K's sub-scales (16-value groups), else unused

/// Bytes of each panel buffer for `rows` rows of k values of `type`: q, dP, mins, sub.
void hdq_panel_sizes(int type, long rows, long k, long *q, long *dP, long *mins, long *sub);

/// Unpacks `rows` ggml rows (rowBytes apart, starting at src) of `type` into a panel.
void hdq_repack(int type, const uint8_t *src, long rowBytes, long rows, long k,
                uint8_t *q, float *dP, float *mins, int16_t *sub);

// MARK: - Products
/// The kernel variants: AVX2 (vpmaddubsw + vpmaddwd), AVX-VNNI (vpdpbusd on ymm) and
/// AVX-512 VNNI (vpdpbusd on zmm, two blocks per instruction).
#define HDQ_KERNEL_AVX2 0
#define HDQ_KERNEL_AVX_VNNI 1
#define HDQ_KERNEL_AVX512_VNNI 2
/// The fastest variant this CPU runs.
int hdq_best_kernel(void);
/// 1 when this CPU runs `variant`.
int hdq_kernel_supported(int variant);
/// Chooses the variant hdq_gemm runs (by default the best; one the CPU lacks becomes
/// AVX2) and returns the one in force. Set it before products run, not during.
int hdq_set_kernel(int variant);
/// The variant hdq_gemm runs.
int hdq_kernel(void);

/// y[t·ldy + col0 + j] (+)= row j of the panel · token t, for j < rows and t in [t0, t1)
/// (t0 a multiple of HDQ_TILE_TOKENS; rows past `rows` and tokens past t1 are not stored).
void hdq_gemm(int type, const uint8_t *wq, const float *wdP, const float *wmins, const int16_t *wsub,
              long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
              float *y, long ldy, long col0, int accumulate);

/// hdq_gemm over a slice of a larger panel: `wabs` points at the slice's absolute codes
/// (signed types; ignored otherwise) instead of following its `rows` codes.
void hdq_gemm_slice(int type, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                    const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs,
                    long t0, long t1, long k, float *y, long ldy, long col0, int accumulate);

/// The same product computed one value at a time in scalar code (the tests' reference).
void hdq_gemm_reference(int type, const uint8_t *wq, const float *wdP, const float *wmins, const int16_t *wsub,
                        long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                        float *y, long ldy, long col0, int accumulate);

#endif
