// The integer micro-kernel on AVX-512 VNNI (where the CPU has it): the 2-row × 4-token tile
// of int8_gemm.c, two 32-value blocks per step in one zmm register. Per row, token and
// block pair: vpdpbusd (four products per i32 lane; a lane belongs to one block), one
// conversion, and one FMA by a scale vector holding the two blocks' products dw·dx in
// its two halves, picked from the tile's table of 16 products by vpermps (the 8 index
// vectors live in registers: AVX-512 has 32). An odd last block runs as a pair whose
// second block is zero. Q6_K's 16-value sub-scales take vpmaddubsw + vpmaddwd instead.
#include <immintrin.h>
#include "layout.h"

#define HDQ512_TARGET "avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,avx2,fma"
/// Block pairs whose scale products are computed ahead of the integer loop.
#define HDQ512_CHUNK 32

__attribute__((target(HDQ512_TARGET), always_inline))
static inline __m512i load_pair(const void *p, int whole) {
    return whole ? _mm512_loadu_si512(p) : _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)p));
}

__attribute__((target(HDQ512_TARGET), always_inline))
static inline void tile512(hdq_class cls, const uint8_t *w0, const uint8_t *w1, const uint8_t *abs0, const uint8_t *abs1,
                           const float *dP, const float *m0, const float *m1, const int16_t *sub0, const int16_t *sub1,
                           const int8_t *xq, const float *xdT, const float *xs, long k, long nb, long nbp,
                           float out[HDQ_TILE_ROWS][HDQ_TILE_TOKENS]) {
    __m512 a[2][4];
    for (int r = 0; r < 2; r++) for (int t = 0; t < 4; t++) a[r][t] = _mm512_setzero_ps();
    // idx[4r + t] picks product (r, t) of block 2j into the low half, of block 2j + 1 into the high half.
    __m512i idx[8];
    for (int p = 0; p < 8; p++) idx[p] = _mm512_inserti64x4(_mm512_set1_epi32(p), _mm256_set1_epi32(8 + p), 1);
    const int8_t *x[4] = {xq, xq + k, xq + 2 * k, xq + 3 * k};
    const uint8_t *u0 = cls == HDQ_UNSIGNED_OFFSET ? w0 : abs0, *u1 = cls == HDQ_UNSIGNED_OFFSET ? w1 : abs1;
    float scales[HDQ512_CHUNK * 16] __attribute__((aligned(64)));
    const long pairs = (nb + 1) / 2;
    for (long c0 = 0; c0 < pairs; c0 += HDQ512_CHUNK) {
        const long c1 = pairs - c0 < HDQ512_CHUNK ? pairs : c0 + HDQ512_CHUNK;
        for (long j = c0; j < c1; j++) {
            float *s = scales + 16 * (j - c0);
            for (long h = 0; h < 2; h++) {
                const long b = 2 * j + h;
                const __m256 v = b < nb ? _mm256_mul_ps(_mm256_loadu_ps(dP + 8 * b), _mm256_broadcast_ps((const __m128 *)(xdT + 4 * b)))
                                        : _mm256_setzero_ps();
                _mm256_store_ps(s + 8 * h, v);
            }
        }
        for (long j = c0; j < c1; j++) {
            const int whole = 2 * j + 1 < nb;
            const long o = 64 * j;
            const __m512 sc = _mm512_load_ps(scales + 16 * (j - c0));
            const __m512i c0v = load_pair(u0 + o, whole), c1v = load_pair(u1 + o, whole);
            __m512i s0 = c0v, s1 = c1v;
            if (cls != HDQ_UNSIGNED_OFFSET) { s0 = load_pair(w0 + o, whole); s1 = load_pair(w1 + o, whole); }
            for (int t = 0; t < 4; t++) {
                const __m512i xv = load_pair(x[t] + o, whole);
                __m512i y0 = xv, y1 = xv;
                if (cls != HDQ_UNSIGNED_OFFSET) {
                    // vpsignb has no zmm form: negate x where the code is negative, zero it where the code is 0.
                    const __mmask64 n0 = _mm512_movepi8_mask(s0), n1 = _mm512_movepi8_mask(s1);
                    y0 = _mm512_mask_sub_epi8(xv, n0, _mm512_setzero_si512(), xv);
                    y1 = _mm512_mask_sub_epi8(xv, n1, _mm512_setzero_si512(), xv);
                }
                __m512i p0, p1;
                if (cls == HDQ_SIGNED_SUBSCALED) {
                    // Q6_K: pair sums (i16) times the 16-value sub-scales, as in the AVX2 kernel.
                    p0 = _mm512_madd_epi16(_mm512_maddubs_epi16(c0v, y0), load_pair(sub0 + 32 * j, whole));
                    p1 = _mm512_madd_epi16(_mm512_maddubs_epi16(c1v, y1), load_pair(sub1 + 32 * j, whole));
                } else {
                    p0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c0v, y0);
                    p1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), c1v, y1);
                }
                a[0][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p0), _mm512_permutexvar_ps(idx[t], sc), a[0][t]);
                a[1][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p1), _mm512_permutexvar_ps(idx[4 + t], sc), a[1][t]);
            }
        }
    }
    __m256 acc[2][4];
    for (int r = 0; r < 2; r++)
        for (int t = 0; t < 4; t++)
            acc[r][t] = _mm256_add_ps(_mm512_castps512_ps256(a[r][t]), _mm512_extractf32x8_ps(a[r][t], 1));
    if (cls == HDQ_UNSIGNED_OFFSET) {
        for (long g = 0; g < nbp; g += 8) {
            const __m256 mv0 = _mm256_loadu_ps(m0 + g), mv1 = _mm256_loadu_ps(m1 + g);
            for (int t = 0; t < 4; t++) {
                const __m256 sv = _mm256_loadu_ps(xs + t * nbp + g);
                acc[0][t] = _mm256_fmadd_ps(mv0, sv, acc[0][t]);
                acc[1][t] = _mm256_fmadd_ps(mv1, sv, acc[1][t]);
            }
        }
    }
    for (int r = 0; r < 2; r++) {
        const __m256 ab = _mm256_hadd_ps(acc[r][0], acc[r][1]), cd = _mm256_hadd_ps(acc[r][2], acc[r][3]);
        const __m256 abcd = _mm256_hadd_ps(ab, cd);
        _mm_storeu_ps(out[r], _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
    }
}

__attribute__((target(HDQ512_TARGET), always_inline))
static inline void run512(hdq_class cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                          const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                          float *y, long ldy, long col0, int accumulate) {
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k);
    const long T = HDQ_TILE_TOKENS;
    for (long t = t0; t < t1; t += T) {
        const long tokens = t1 - t < T ? t1 - t : T;
        for (long r = 0; r < rows; r += 2) {
            float out[HDQ_TILE_ROWS][HDQ_TILE_TOKENS];
            tile512(cls, wq + r * k, wq + (r + 1) * k, wabs + r * k, wabs + (r + 1) * k, wdP + (r / 2) * nb * 8,
                    wmins + r * nbp, wmins + (r + 1) * nbp, wsub + r * nb * 16, wsub + (r + 1) * nb * 16, xq + t * k, xdT + (t / T) * nb * T, xs + t * nbp,
                    k, nb, nbp, out);
            const long rowCount = rows - r < 2 ? rows - r : 2;
            for (long i = 0; i < tokens; i++) {
                float *yt = y + (t + i) * ldy + col0 + r;
                for (long j = 0; j < rowCount; j++) yt[j] = accumulate ? yt[j] + out[j][i] : out[j][i];
            }
        }
    }
}

__attribute__((target(HDQ512_TARGET)))
void hdq_gemm_avx512(int cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                     const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                     float *y, long ldy, long col0, int accumulate) {
    switch (cls) {
    case HDQ_UNSIGNED_OFFSET:
        run512(HDQ_UNSIGNED_OFFSET, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    case HDQ_SIGNED:
        run512(HDQ_SIGNED, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    default:
        run512(HDQ_SIGNED_SUBSCALED, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    }
}
