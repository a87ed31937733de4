// The AVX2 integer kernel (what Zen 3 runs): one i32 lane per weight row, where the tile
// kernel (int8_tile.h) gives a block's 32 products to the 8 lanes of one row.
//
// The codes of 8 rows are interleaved 4 bytes at a time, so that one ymm holds 4 codes of
// each of the 8 rows. Against the 4 activation bytes of the same positions broadcast to
// every lane, for the offset types (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K: unsigned codes,
// value = d·code + min):
//   p16 = vpmaddubsw(w, x)   16 × i16: each row's two pair sums
//   s16 += p16               over the block's 8 quads, still in i16 (see below)
//   p32 = vpmaddwd(s16, 1)    8 × i32: each row's 32-product block sum
//   acc = fma(cvt(p32), dw·dx, acc),  acc = fma(mw, sx, acc)   8 × f32: one per row
// Per 8 rows × 4 tokens × one block (1,024 products): 32 vpmaddubsw, 28 vpaddw and 20 other
// vector operations, where the tile kernel spends 128 (each of its vpmaddubsw needs its own
// vpmaddwd, conversion and FMA). Signed types (Q8_0, Q6_K) take |w| as the unsigned operand
// and move w's sign onto the broadcast activations with vpsignb, which works per lane and so
// per row; Q6_K's 16-value sub-scales are the vpmaddwd multiplier of each group's i16 sums.
//
// Why i16 holds the sums: |x| ≤ 127, so a pair of 4-bit codes (≤ 15) is at most 3,810 and a
// block's 8 quads 30,480 < 32,767. 5-bit codes (≤ 31) reach 7,874 per pair, so Q5 types widen
// to i32 after every 4 quads (31,496); Q6_K's |code| ≤ 32 gives 8,128, 4 quads (one sub-scale
// group) 32,512; Q8_0's |code| ≤ 128 fills a pair (32,512), so it widens every quad.
// (QuantTests "integer sums hold at the extremes" drives every type to these bounds.)
//
// The interleaving is done here, per call, for 8 rows × up to 64 blocks at a time (16 KiB of
// codes: L1), and every token of the call (in chunks of 128) runs over those blocks before the
// next ones; a task's rows meet all of its tokens (LinearPlan), so the transposes are
// amortized over them. No heap: the buffers are on the stack (about 44 KiB).
// Each output is one accumulation over k in block order, whatever the tasks, so results do
// not depend on the thread count.
#include <immintrin.h>
#include <string.h>
#include "layout.h"

#define HDQ_OR_TARGET "avx2,fma"
/// Rows per group: one i32 lane each.
#define HDQ_OR_ROWS 8
/// Blocks interleaved at a time.
#define HDQ_OR_CHUNK 64
/// Token tiles per chunk of a call's tokens (their running sums live on the stack: 4 KiB).
#define HDQ_OR_TILES 32

/// out[q] lane r = in[r] lane q (an 8 × 8 transpose of 32-bit lanes).
__attribute__((target(HDQ_OR_TARGET), always_inline))
static inline void transpose8(__m256 v[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
    const __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
    const __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
    const __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    v[0] = _mm256_permute2f128_ps(u0, u4, 0x20); v[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    v[1] = _mm256_permute2f128_ps(u1, u5, 0x20); v[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    v[2] = _mm256_permute2f128_ps(u2, u6, 0x20); v[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    v[3] = _mm256_permute2f128_ps(u3, u7, 0x20); v[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/// Blocks [c0, c0 + cn) of rows [r0, r0 + live) of the panel, interleaved (missing rows zero):
/// codes [cn][8 quads][8 rows] u32 (the unsigned operand: codes, or |codes| for signed types),
/// signs (signed types: the codes themselves, for vpsignb) likewise, sub (Q6_K) [cn][2 groups]
/// [8 rows][2] i16, scale and offset [cn][8 rows].
__attribute__((target(HDQ_OR_TARGET)))
static void interleave(hdq_class cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                       const int16_t *wsub, long r0, long live, long c0, long cn, long k, long nb, long nbp,
                       uint8_t *codes, uint8_t *signs, int16_t *sub, float *scale, float *offset) {
    for (long b = 0; b < cn; b++) {
        __m256 v[8];
        for (long i = 0; i < HDQ_OR_ROWS; i++) {
            v[i] = i < live ? _mm256_loadu_ps((const float *)(wabs + (r0 + i) * k + 32 * (c0 + b))) : _mm256_setzero_ps();
        }
        transpose8(v);
        for (int q = 0; q < 8; q++) _mm256_store_ps((float *)(codes + (8 * b + q) * 32), v[q]);
        if (cls != HDQ_UNSIGNED_OFFSET) {
            for (long i = 0; i < HDQ_OR_ROWS; i++) {
                v[i] = i < live ? _mm256_loadu_ps((const float *)(wq + (r0 + i) * k + 32 * (c0 + b))) : _mm256_setzero_ps();
            }
            transpose8(v);
            for (int q = 0; q < 8; q++) _mm256_store_ps((float *)(signs + (8 * b + q) * 32), v[q]);
        }
        for (long i = 0; i < HDQ_OR_ROWS; i++) {
            const long r = r0 + i;
            scale[8 * b + i] = i < live ? wdP[(r / 2) * nb * 8 + 8 * (c0 + b) + (r % 2) * 4] : 0.0f;
            if (cls == HDQ_UNSIGNED_OFFSET) offset[8 * b + i] = i < live ? wmins[r * nbp + c0 + b] : 0.0f;
            if (cls == HDQ_SIGNED_SUBSCALED) {
                // The panel's 16 i16 per block: values 0-15's sub-scale in lanes 0-7, 16-31's in 8-15.
                const int16_t *src = wsub + (r * nb + c0 + b) * 16;
                for (int g = 0; g < 2; g++) {
                    const int16_t sc = i < live ? src[8 * g] : 0;
                    sub[((2 * b + g) * 8 + i) * 2] = sc;
                    sub[((2 * b + g) * 8 + i) * 2 + 1] = sc;
                }
            }
        }
    }
}

/// 4 activation bytes at p in every i32 lane.
__attribute__((target(HDQ_OR_TARGET), always_inline))
static inline __m256i broadcast4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/// Scales one block's i32 sums p0-p3 of 4 tokens by dw·dx into their running sums a0-a3.
#define HDQ_OR_SCALE()                                                                                         \
    {                                                                                                          \
        const __m256 d = _mm256_load_ps(scale + 8 * b);                                                        \
        const float *db = dx + HDQ_TILE_TOKENS * b;                                                            \
        a0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_mul_ps(d, _mm256_broadcast_ss(db + 0)), a0);       \
        a1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_mul_ps(d, _mm256_broadcast_ss(db + 1)), a1);       \
        a2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p2), _mm256_mul_ps(d, _mm256_broadcast_ss(db + 2)), a2);       \
        a3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p3), _mm256_mul_ps(d, _mm256_broadcast_ss(db + 3)), a3);       \
    }

/// The interleaved blocks of an offset type against one tile of 4 tokens (rows k apart
/// from x), adding to acc[4][8]. `fiveBit`: codes reach 31, so i16 sums widen after 4 quads.
__attribute__((target(HDQ_OR_TARGET), always_inline))
static inline void offsetTile(int fiveBit, const uint8_t *codes, const float *scale, const float *offset, long cn,
                              const int8_t *x, const float *dx, const float *sx, long k, long nbp, float *acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 a0 = _mm256_load_ps(acc), a1 = _mm256_load_ps(acc + 8), a2 = _mm256_load_ps(acc + 16),
           a3 = _mm256_load_ps(acc + 24);
    const int8_t *x0 = x, *x1 = x + k, *x2 = x + 2 * k, *x3 = x + 3 * k;
    for (long b = 0; b < cn; b++) {
        const uint8_t *wb = codes + 8 * b * 32;
        const long o = 32 * b;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        __m256i w0 = s0, w1 = s0, w2 = s0, w3 = s0;  // i32 sums of the first 4 quads (Q5 types)
        for (int q = 0; q < 8; q++) {
            if (fiveBit && q == 4) {
                w0 = _mm256_madd_epi16(s0, ones); w1 = _mm256_madd_epi16(s1, ones);
                w2 = _mm256_madd_epi16(s2, ones); w3 = _mm256_madd_epi16(s3, ones);
                s0 = s1 = s2 = s3 = _mm256_setzero_si256();
            }
            const __m256i w = _mm256_load_si256((const __m256i *)(wb + 32 * q));
            s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(w, broadcast4(x0 + o + 4 * q)));
            s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(w, broadcast4(x1 + o + 4 * q)));
            s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(w, broadcast4(x2 + o + 4 * q)));
            s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(w, broadcast4(x3 + o + 4 * q)));
        }
        __m256i p0 = _mm256_madd_epi16(s0, ones), p1 = _mm256_madd_epi16(s1, ones);
        __m256i p2 = _mm256_madd_epi16(s2, ones), p3 = _mm256_madd_epi16(s3, ones);
        if (fiveBit) {
            p0 = _mm256_add_epi32(p0, w0); p1 = _mm256_add_epi32(p1, w1);
            p2 = _mm256_add_epi32(p2, w2); p3 = _mm256_add_epi32(p3, w3);
        }
        HDQ_OR_SCALE()
        // The offset term mw·sx.
        const __m256 m = _mm256_load_ps(offset + 8 * b);
        a0 = _mm256_fmadd_ps(m, _mm256_broadcast_ss(sx + b), a0);
        a1 = _mm256_fmadd_ps(m, _mm256_broadcast_ss(sx + nbp + b), a1);
        a2 = _mm256_fmadd_ps(m, _mm256_broadcast_ss(sx + 2 * nbp + b), a2);
        a3 = _mm256_fmadd_ps(m, _mm256_broadcast_ss(sx + 3 * nbp + b), a3);
    }
    _mm256_store_ps(acc, a0); _mm256_store_ps(acc + 8, a1); _mm256_store_ps(acc + 16, a2); _mm256_store_ps(acc + 24, a3);
}

/// The same for signed codes: |w| is the unsigned operand and w's sign moves onto the
/// broadcast activations (vpsignb, per lane, so per row). Q8_0 (|w| ≤ 128: a pair reaches
/// 32,512) widens every quad; Q6_K (|w| ≤ 32: 8,128) sums a 16-value group's 4 quads in i16
/// and widens by its sub-scale (vpmaddwd with the rows' sub-scales).
__attribute__((target(HDQ_OR_TARGET), always_inline))
static inline void signedTile(int subscaled, const uint8_t *codes, const uint8_t *signs, const int16_t *sub,
                              const float *scale, long cn, const int8_t *x, const float *dx, long k, float *acc) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 a0 = _mm256_load_ps(acc), a1 = _mm256_load_ps(acc + 8), a2 = _mm256_load_ps(acc + 16),
           a3 = _mm256_load_ps(acc + 24);
    const int8_t *x0 = x, *x1 = x + k, *x2 = x + 2 * k, *x3 = x + 3 * k;
    for (long b = 0; b < cn; b++) {
        const uint8_t *wb = codes + 8 * b * 32, *sb = signs + 8 * b * 32;
        const long o = 32 * b;
        __m256i p0 = _mm256_setzero_si256(), p1 = p0, p2 = p0, p3 = p0;
        for (int g = 0; g < 2; g++) {
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (int q = 4 * g; q < 4 * g + 4; q++) {
                const __m256i w = _mm256_load_si256((const __m256i *)(wb + 32 * q));
                const __m256i sg = _mm256_load_si256((const __m256i *)(sb + 32 * q));
#define HDQ_OR_SIGNED_QUAD(s, xr)                                                                              \
                {                                                                                              \
                    const __m256i pr = _mm256_maddubs_epi16(w, _mm256_sign_epi8(broadcast4(xr + o + 4 * q), sg)); \
                    s = subscaled ? _mm256_add_epi16(s, pr) : _mm256_add_epi32(s, _mm256_madd_epi16(pr, ones)); \
                }
                HDQ_OR_SIGNED_QUAD(s0, x0)
                HDQ_OR_SIGNED_QUAD(s1, x1)
                HDQ_OR_SIGNED_QUAD(s2, x2)
                HDQ_OR_SIGNED_QUAD(s3, x3)
#undef HDQ_OR_SIGNED_QUAD
            }
            if (subscaled) {
                const __m256i sc = _mm256_load_si256((const __m256i *)(sub + (2 * b + g) * 16));
                p0 = _mm256_add_epi32(p0, _mm256_madd_epi16(s0, sc)); p1 = _mm256_add_epi32(p1, _mm256_madd_epi16(s1, sc));
                p2 = _mm256_add_epi32(p2, _mm256_madd_epi16(s2, sc)); p3 = _mm256_add_epi32(p3, _mm256_madd_epi16(s3, sc));
            } else {
                p0 = _mm256_add_epi32(p0, s0); p1 = _mm256_add_epi32(p1, s1);
                p2 = _mm256_add_epi32(p2, s2); p3 = _mm256_add_epi32(p3, s3);
            }
        }
        HDQ_OR_SCALE()
    }
    _mm256_store_ps(acc, a0); _mm256_store_ps(acc + 8, a1); _mm256_store_ps(acc + 16, a2); _mm256_store_ps(acc + 24, a3);
}

__attribute__((target(HDQ_OR_TARGET)))
void hdq_gemm_rows_avx2(int type, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                        const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs,
                        long t0, long t1, long k, float *y, long ldy, long col0, int accumulate) {
    const hdq_class cls = hdq_class_of(type);
    const int fiveBit = type == HDQ_Q5_0 || type == HDQ_Q5_1 || type == HDQ_Q5_K;
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k), T = HDQ_TILE_TOKENS;
    if (t1 <= t0 || rows <= 0) return;
    uint8_t codes[HDQ_OR_CHUNK * 8 * 32] __attribute__((aligned(32)));
    uint8_t signs[HDQ_OR_CHUNK * 8 * 32] __attribute__((aligned(32)));
    int16_t sub[HDQ_OR_CHUNK * 2 * 16] __attribute__((aligned(32)));
    float scale[HDQ_OR_CHUNK * 8] __attribute__((aligned(32)));
    float offset[HDQ_OR_CHUNK * 8] __attribute__((aligned(32)));
    // [tiles][4 tokens][8 rows] running sums of the current row group and token chunk.
    float acc[HDQ_OR_TILES * HDQ_TILE_TOKENS * 8] __attribute__((aligned(32)));
    // Token chunks of up to HDQ_OR_TILES tiles keep the running sums on the stack; longer
    // calls interleave each row group once per chunk (under 1 % of the products' work).
    for (long tc = t0; tc < t1; tc += HDQ_OR_TILES * T) {
        const long tEnd = t1 - tc < HDQ_OR_TILES * T ? t1 : tc + HDQ_OR_TILES * T;
        const long tiles = (tEnd - tc + T - 1) / T;
        for (long r0 = 0; r0 < rows; r0 += HDQ_OR_ROWS) {
            const long live = rows - r0 < HDQ_OR_ROWS ? rows - r0 : HDQ_OR_ROWS;
            memset(acc, 0, (size_t)(tiles * T * 8) * sizeof(float));
            for (long c0 = 0; c0 < nb; c0 += HDQ_OR_CHUNK) {
                const long cn = nb - c0 < HDQ_OR_CHUNK ? nb - c0 : HDQ_OR_CHUNK;
                interleave(cls, wq, wabs, wdP, wmins, wsub, r0, live, c0, cn, k, nb, nbp, codes, signs, sub, scale, offset);
                for (long i = 0; i < tiles; i++) {
                    const long t = tc + i * T;
                    const int8_t *x = xq + t * k + 32 * c0;
                    const float *dx = xdT + (t / T) * nb * T + T * c0;
                    const float *sx = xs + t * nbp + c0;
                    float *at = acc + i * T * 8;
                    // Each call has constant flags, so each type class gets its own loop.
                    switch (cls) {
                    case HDQ_UNSIGNED_OFFSET:
                        if (fiveBit) offsetTile(1, codes, scale, offset, cn, x, dx, sx, k, nbp, at);
                        else offsetTile(0, codes, scale, offset, cn, x, dx, sx, k, nbp, at);
                        break;
                    case HDQ_SIGNED: signedTile(0, codes, signs, sub, scale, cn, x, dx, k, at); break;
                    case HDQ_SIGNED_SUBSCALED: signedTile(1, codes, signs, sub, scale, cn, x, dx, k, at); break;
                    }
                }
            }
            for (long t = tc; t < tEnd; t++) {
                const float *src = acc + (t - tc) * 8;
                float *yt = y + t * ldy + col0 + r0;
                for (long i = 0; i < live; i++) yt[i] = accumulate ? yt[i] + src[i] : src[i];
            }
        }
    }
}
