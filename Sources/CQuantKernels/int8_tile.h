// The AVX-VNNI micro-kernel and its driver, included by int8_gemm.c (HDQ_TARGET and HDQ_NAME
// set by the includer). Plain AVX2 CPUs run int8_rows.c instead.
// See int8_gemm.c for the scheme.


/// One 2 × 4 tile: rows w0, w1 (k codes each; `abs0`, `abs1` their absolute values for
/// signed types) against 4 token rows of xq (k apart).
__attribute__((target(HDQ_TARGET), always_inline))
static inline void HDQ_NAME(tile)(hdq_class cls, const uint8_t *w0, const uint8_t *w1, const uint8_t *abs0, const uint8_t *abs1,
                        const float *dP, const float *m0, const float *m1, const int16_t *sub0, const int16_t *sub1,
                        const int8_t *xq, const float *xdT, const float *xs, long k, long nb, long nbp,
                        float out[HDQ_TILE_ROWS][HDQ_TILE_TOKENS]) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00;
    __m256 a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    const int8_t *x0 = xq, *x1 = xq + k, *x2 = xq + 2 * k, *x3 = xq + 3 * k;
    float scales[HDQ_SCALE_CHUNK * 8] __attribute__((aligned(32)));
    for (long c0 = 0; c0 < nb; c0 += HDQ_SCALE_CHUNK) {
        const long c1 = nb - c0 < HDQ_SCALE_CHUNK ? nb : c0 + HDQ_SCALE_CHUNK;
        // scales[8(b − c0) + 4r + t] = dw[r, b] · dx[t, b]
        for (long b = c0; b < c1; b++) {
            _mm256_store_ps(scales + 8 * (b - c0), _mm256_mul_ps(_mm256_loadu_ps(dP + 8 * b),
                                                                  _mm256_broadcast_ps((const __m128 *)(xdT + 4 * b))));
        }
        for (long b = c0; b < c1; b++) {
            const float *s = scales + 8 * (b - c0);
            const __m256i u0 = _mm256_loadu_si256((const __m256i *)((cls == HDQ_UNSIGNED_OFFSET ? w0 : abs0) + 32 * b));
            const __m256i u1 = _mm256_loadu_si256((const __m256i *)((cls == HDQ_UNSIGNED_OFFSET ? w1 : abs1) + 32 * b));
            const __m256i *sign0 = (const __m256i *)(w0 + 32 * b), *sign1 = (const __m256i *)(w1 + 32 * b);
#define HDQ_MULT(sub) _mm256_loadu_si256((const __m256i *)((sub) + 16 * b))
// Sums of 4 products per i32 lane: vpdpbusd where no sub-scale applies, else vpmaddubsw
// (pairs, i16) then vpmaddwd by Q6_K's 16-value sub-scales.
#define HDQ_QUAD_SUMS(u, y, sub) (cls == HDQ_SIGNED_SUBSCALED                                             \
        ? _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), HDQ_MULT(sub))                                     \
        : _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, y))
#define HDQ_STEP(xrow, t, acc0, acc1)                                                                      \
            {                                                                                              \
                const __m256i xv = _mm256_loadu_si256((const __m256i *)((xrow) + 32 * b));                 \
                const __m256i y0 = cls == HDQ_UNSIGNED_OFFSET ? xv : _mm256_sign_epi8(xv, _mm256_loadu_si256(sign0)); \
                const __m256i y1 = cls == HDQ_UNSIGNED_OFFSET ? xv : _mm256_sign_epi8(xv, _mm256_loadu_si256(sign1)); \
                const __m256i p0 = HDQ_QUAD_SUMS(u0, y0, sub0);                                            \
                const __m256i p1 = HDQ_QUAD_SUMS(u1, y1, sub1);                                            \
                acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_broadcast_ss(s + (t)), acc0);        \
                acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_broadcast_ss(s + 4 + (t)), acc1);    \
            }
            HDQ_STEP(x0, 0, a00, a10)
            HDQ_STEP(x1, 1, a01, a11)
            HDQ_STEP(x2, 2, a02, a12)
            HDQ_STEP(x3, 3, a03, a13)
#undef HDQ_STEP
#undef HDQ_MULT
#undef HDQ_QUAD_SUMS
        }
    }
    if (cls == HDQ_UNSIGNED_OFFSET) {
        for (long g = 0; g < nbp; g += 8) {
            const __m256 mv0 = _mm256_loadu_ps(m0 + g), mv1 = _mm256_loadu_ps(m1 + g);
            __m256 sv = _mm256_loadu_ps(xs + g);
            a00 = _mm256_fmadd_ps(mv0, sv, a00); a10 = _mm256_fmadd_ps(mv1, sv, a10);
            sv = _mm256_loadu_ps(xs + nbp + g);
            a01 = _mm256_fmadd_ps(mv0, sv, a01); a11 = _mm256_fmadd_ps(mv1, sv, a11);
            sv = _mm256_loadu_ps(xs + 2 * nbp + g);
            a02 = _mm256_fmadd_ps(mv0, sv, a02); a12 = _mm256_fmadd_ps(mv1, sv, a12);
            sv = _mm256_loadu_ps(xs + 3 * nbp + g);
            a03 = _mm256_fmadd_ps(mv0, sv, a03); a13 = _mm256_fmadd_ps(mv1, sv, a13);
        }
    }
    // Horizontal sums: four accumulators at a time into one 4-lane vector.
#define HDQ_HSUM4(r, A, B, C, D)                                                                           \
    {                                                                                                      \
        __m256 ab = _mm256_hadd_ps(A, B), cd = _mm256_hadd_ps(C, D);                                       \
        __m256 abcd = _mm256_hadd_ps(ab, cd);                                                              \
        _mm_storeu_ps(out[r], _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));   \
    }
    HDQ_HSUM4(0, a00, a01, a02, a03)
    HDQ_HSUM4(1, a10, a11, a12, a13)
#undef HDQ_HSUM4
}

/// The tiles of rows [0, rows) × tokens [t0, t1); `cls` is a constant at every call, so
/// each class gets its own loop.
__attribute__((target(HDQ_TARGET), always_inline))
static inline void HDQ_NAME(run)(hdq_class cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins, const int16_t *wsub,
                       long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                       float *y, long ldy, long col0, int accumulate) {
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k);
    const long T = HDQ_TILE_TOKENS;
    for (long t = t0; t < t1; t += T) {
        const int8_t *xt = xq + t * k;
        const float *dt = xdT + (t / T) * nb * T;
        const float *st = xs + t * nbp;
        const long tokens = t1 - t < T ? t1 - t : T;
        for (long r = 0; r < rows; r += 2) {
            float out[HDQ_TILE_ROWS][HDQ_TILE_TOKENS];
            HDQ_NAME(tile)(cls, wq + r * k, wq + (r + 1) * k, wabs + r * k, wabs + (r + 1) * k, wdP + (r / 2) * nb * 8,
                 wmins + r * nbp, wmins + (r + 1) * nbp, wsub + r * nb * 16, wsub + (r + 1) * nb * 16,
                 xt, dt, st, k, nb, nbp, out);
            const long rowCount = rows - r < 2 ? rows - r : 2;
            for (long i = 0; i < tokens; i++) {
                float *yt = y + (t + i) * ldy + col0 + r;
                for (long j = 0; j < rowCount; j++) yt[j] = accumulate ? yt[j] + out[j][i] : out[j][i];
            }
        }
    }
}


__attribute__((target(HDQ_TARGET)))
static void HDQ_NAME(gemm)(hdq_class cls, const uint8_t *wq, const uint8_t *wabs, const float *wdP, const float *wmins,
                           const int16_t *wsub, long rows, const int8_t *xq, const float *xdT, const float *xs,
                           long t0, long t1, long k, float *y, long ldy, long col0, int accumulate) {
    switch (cls) {
    case HDQ_UNSIGNED_OFFSET:
        HDQ_NAME(run)(HDQ_UNSIGNED_OFFSET, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    case HDQ_SIGNED:
        HDQ_NAME(run)(HDQ_SIGNED, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    case HDQ_SIGNED_SUBSCALED:
        HDQ_NAME(run)(HDQ_SIGNED_SUBSCALED, wq, wabs, wdP, wmins, wsub, rows, xq, xdT, xs, t0, t1, k, y, ldy, col0, accumulate);
        break;
    }
}
