// Activations to 8-bit codes, one f32 scale per 32 values: d = max|x| / 127,
// q = round(x / d) (to nearest even), and the block sum d · Σq for offset weight types.
// Layout in CQuantKernels.h ("Activations").
#include <immintrin.h>
#include <string.h>
#include "layout.h"

__attribute__((target("avx2,fma")))
void hdq_quantize_rows(const float *x, long ldx, long m, long k, long r0, long r1,
                       int8_t *q, float *dT, float *s) {
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k);
    const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    // packs_epi32 then packs_epi16 leave 4-value groups in the order a0 b0 c0 d0 a1 b1 c1 d1
    // (per 128-bit lane); this puts them back in value order.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (long r = r0; r < r1; r++) {
        int8_t *qr = q + r * k;
        float *sr = s + r * nbp;
        float *dr = dT + (r / HDQ_TILE_TOKENS) * nb * HDQ_TILE_TOKENS + r % HDQ_TILE_TOKENS;
        if (r >= m) {
            memset(qr, 0, (size_t)k);
            for (long b = 0; b < nb; b++) dr[HDQ_TILE_TOKENS * b] = 0;
            for (long b = 0; b < nbp; b++) sr[b] = 0;
            continue;
        }
        const float *xr = x + r * ldx;
        for (long b = 0; b < nb; b++) {
            const float *xb = xr + 32 * b;
            __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
            __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
            __m256 mx = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v0, absMask), _mm256_and_ps(v1, absMask)),
                                      _mm256_max_ps(_mm256_and_ps(v2, absMask), _mm256_and_ps(v3, absMask)));
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
            h = _mm_max_ps(h, _mm_movehl_ps(h, h));
            h = _mm_max_ss(h, _mm_movehdup_ps(h));
            const float amax = _mm_cvtss_f32(h);
            const float d = amax / 127.0f;
            const __m256 id = _mm256_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
            __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
            __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            _mm256_storeu_si256((__m256i *)(qr + 32 * b), _mm256_permutevar8x32_epi32(packed, order));
            dr[HDQ_TILE_TOKENS * b] = d;
            sr[b] = d * (float)_mm_cvtsi128_si32(s4);
        }
        for (long b = nb; b < nbp; b++) sr[b] = 0;
    }
}
