// ggml weight rows to integer-kernel panels (layout in CQuantKernels.h "Weight panels").
// Each 32-value group becomes 32 codes, a scale and (offset types) an offset with
// value = scale · code + offset, the same values the f32 decoders produce:
//   Q4_0  code = nibble,         scale d,        offset −8d
//   Q4_1  code = nibble,         scale d,        offset m
//   Q5_0  code = nibble | bit·16, scale d,       offset −16d
//   Q5_1  code = nibble | bit·16, scale d,       offset m
//   Q4_K  code = nibble,         scale d·sc_j,   offset −dmin·min_j   (6-bit sc, min)
//   Q5_K  code = nibble | bit·16, scale d·sc_j,  offset −dmin·min_j
//   Q8_0  code = q (signed),     scale d
//   Q6_K  code = q − 32 (signed), scale d, sub-scales sc (int8) per 16 values
// Block layouts: Sources/Quant/BlockQ*.swift. Runs once per panel task (its cost is
// amortized over the task's tokens); the code extraction is vectorized all the same.
#include <immintrin.h>
#include <string.h>
#include "layout.h"

/// An fp16 value at p (F16C: exact, subnormals included).
__attribute__((target("f16c")))
static inline float half_to_float(const uint8_t *p) {
    return _cvtsh_ss((unsigned short)(p[0] | p[1] << 8));
}

static uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/// Q4/Q5 codes of a legacy block: nibbles at qs (low nibble of byte j = value j, high
/// nibble = value j + 16), fifth bits in qh (bit j of value j) when `qh` is non-null.
__attribute__((target("avx2")))
static void legacy_codes(const uint8_t *qs, const uint8_t *qh, uint8_t *codes) {
    const __m128i bytes = _mm_loadu_si128((const __m128i *)qs), low4 = _mm_set1_epi8(15);
    __m256i c = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), low4), _mm_and_si128(bytes, low4));
    if (qh) {
        // Byte j takes byte j/8 of the word, keeps bit j%8, and becomes 16 where it is set.
        const __m256i word = _mm256_set1_epi32((int)load_u32(qh));
        const __m256i spread = _mm256_shuffle_epi8(word, _mm256_setr_epi64x(0, 0x0101010101010101LL,
                                                                             0x0202020202020202LL, 0x0303030303030303LL));
        const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
        const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
        c = _mm256_or_si256(c, _mm256_and_si256(set, _mm256_set1_epi8(16)));
    }
    _mm256_storeu_si256((__m256i *)codes, c);
}

/// (v >> shift) & mask in every byte (the mask drops the bits a 16-bit shift pulls in from
/// the neighbouring byte).
__attribute__((target("avx2")))
static inline __m256i bits(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8((char)mask));
}

/// The 6-bit (scale, min) codes of sub-block j of a Q4_K/Q5_K super-block (12 bytes at s).
static void k4_scale_min(const uint8_t *s, int j, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
        *min = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

/// Group b of a row: 32 codes, scale, offset, and (Q6_K) 16 sub-scales.
__attribute__((target("avx2,f16c")))
static inline void group(int type, const uint8_t *row, long b, uint8_t *codes, float *d, float *mn, int16_t *sub) {
    const uint8_t *p;
    *mn = 0;
    switch (type) {
    case HDQ_Q4_0:
        p = row + b * 18;
        *d = half_to_float(p);
        *mn = -8.0f * *d;
        legacy_codes(p + 2, 0, codes);
        return;
    case HDQ_Q4_1:
        p = row + b * 20;
        *d = half_to_float(p);
        *mn = half_to_float(p + 2);
        legacy_codes(p + 4, 0, codes);
        return;
    case HDQ_Q5_0:
        p = row + b * 22;
        *d = half_to_float(p);
        *mn = -16.0f * *d;
        legacy_codes(p + 6, p + 2, codes);
        return;
    case HDQ_Q5_1:
        p = row + b * 24;
        *d = half_to_float(p);
        *mn = half_to_float(p + 2);
        legacy_codes(p + 8, p + 4, codes);
        return;
    case HDQ_Q8_0:
        p = row + b * 34;
        *d = half_to_float(p);
        memcpy(codes, p + 2, 32);
        return;
    case HDQ_Q4_K:
    case HDQ_Q5_K: {
        // {d, dmin: f16, scales[12], (Q5_K: qh[32]), qs[128]}; group j's nibbles are the
        // low (j even) or high (j odd) halves of qs[32(j/2) ..< 32(j/2) + 32].
        const int q5 = type == HDQ_Q5_K;
        p = row + (b >> 3) * (q5 ? 176 : 144);
        const int j = (int)(b & 7);
        int sc, m;
        k4_scale_min(p + 4, j, &sc, &m);
        *d = half_to_float(p) * (float)sc;
        *mn = -(half_to_float(p + 2) * (float)m);
        const __m256i qs = _mm256_loadu_si256((const __m256i *)(p + (q5 ? 48 : 16) + 32 * (j >> 1)));
        __m256i c = bits(qs, 4 * (j & 1), 15);
        if (q5) c = _mm256_or_si256(c, _mm256_slli_epi16(bits(_mm256_loadu_si256((const __m256i *)(p + 16)), j, 1), 4));
        _mm256_storeu_si256((__m256i *)codes, c);
        return;
    }
    case HDQ_Q6_K: {
        // {ql[128], qh[64], scales: i8[16], d: f16}; group t of half h: low nibbles of
        // ql[64h + 32(t&1) + l] (shifted by 4 for t ≥ 2), 2 high bits of qh[32h + l] at 2t.
        p = row + (b >> 3) * 210;
        const int h = (int)((b & 7) >> 2), t = (int)(b & 3);
        *d = half_to_float(p + 208);
        const int8_t s0 = (int8_t)p[192 + 8 * h + 2 * t], s1 = (int8_t)p[193 + 8 * h + 2 * t];
        const __m256i low = bits(_mm256_loadu_si256((const __m256i *)(p + 64 * h + 32 * (t & 1))), 4 * (t >> 1), 15);
        const __m256i high = bits(_mm256_loadu_si256((const __m256i *)(p + 128 + 32 * h)), 2 * t, 3);
        _mm256_storeu_si256((__m256i *)codes,
                            _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), _mm256_set1_epi8(32)));
        // vpmaddwd pairs i16 lane i with values 2i, 2i+1: lanes 0..7 are values 0..15.
        for (int i = 0; i < 8; i++) { sub[i] = s0; sub[i + 8] = s1; }
        return;
    }
    default:
        memset(codes, 0, 32);
        *d = 0;
        return;
    }
}

__attribute__((target("avx2,f16c")))
void hdq_repack(int type, const uint8_t *src, long rowBytes, long rows, long k,
                uint8_t *q, float *dP, float *mins, int16_t *sub) {
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k), rp = hdq_round_up(rows, HDQ_TILE_ROWS);
    const int offsets = hdq_class_of(type) == HDQ_UNSIGNED_OFFSET, subscaled = hdq_class_of(type) == HDQ_SIGNED_SUBSCALED;
    int16_t unused[16];
    for (long r = 0; r < rp; r++) {
        float *dRow = dP + (r / 2) * nb * 8 + (r % 2) * 4;  // element b at dRow[8b ... 8b+3]
        float *mRow = mins + r * nbp;
        for (long b = 0; b < nb; b++) {
            float d = 0, mn = 0;
            int16_t *s = subscaled ? sub + (r * nb + b) * 16 : unused;
            if (r < rows) {
                group(type, src + r * rowBytes, b, q + r * k + 32 * b, &d, &mn, s);
            } else {
                memset(q + r * k + 32 * b, 0, 32);
                for (int i = 0; i < 16; i++) s[i] = 0;
            }
            for (int i = 0; i < 4; i++) dRow[8 * b + i] = d;
            if (offsets) mRow[b] = mn;
        }
        if (offsets) for (long b = nb; b < nbp; b++) mRow[b] = 0;
    }
    if (!offsets) {
        // Absolute values of the signed codes: vpmaddubsw's unsigned operand.
        uint8_t *abs = q + rp * k;
        for (long i = 0; i < rp * k; i++) {
            const int v = (int8_t)q[i];
            abs[i] = (uint8_t)(v < 0 ? -v : v);
        }
    }
}
