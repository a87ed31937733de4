// The integer product one value at a time, from the same panel and activation buffers
// as hdq_gemm: the tests compare the tiled AVX2 kernel against it (only the order of
// the f32 additions differs) and check both against dequantized f32 products.
#include "layout.h"

void hdq_gemm_reference(int type, const uint8_t *wq, const float *wdP, const float *wmins, const int16_t *wsub,
                        long rows, const int8_t *xq, const float *xdT, const float *xs, long t0, long t1, long k,
                        float *y, long ldy, long col0, int accumulate) {
    const long nb = hdq_blocks(k), nbp = hdq_blocks_padded(k);
    const hdq_class cls = hdq_class_of(type);
    for (long t = t0; t < t1; t++) {
        for (long j = 0; j < rows; j++) {
            double sum = 0;
            for (long b = 0; b < nb; b++) {
                long dot = 0;
                for (long i = 0; i < 32; i++) {
                    const long w = cls == HDQ_UNSIGNED_OFFSET ? (long)wq[j * k + 32 * b + i] : (long)(int8_t)wq[j * k + 32 * b + i];
                    const long mult = cls == HDQ_SIGNED_SUBSCALED ? wsub[(j * nb + b) * 16 + i / 2] : 1;
                    dot += w * mult * xq[t * k + 32 * b + i];
                }
                const float dw = wdP[(j / 2) * nb * 8 + 8 * b + (j % 2) * 4];
                const float dx = xdT[(t / HDQ_TILE_TOKENS) * nb * HDQ_TILE_TOKENS + HDQ_TILE_TOKENS * b + t % HDQ_TILE_TOKENS];
                sum += (double)(dw * dx) * (double)dot;
                if (cls == HDQ_UNSIGNED_OFFSET) sum += (double)wmins[j * nbp + b] * (double)xs[t * nbp + b];
            }
            float *out = y + t * ldy + col0 + j;
            *out = accumulate ? *out + (float)sum : (float)sum;
        }
    }
}
