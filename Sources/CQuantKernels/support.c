// CPU and type checks, and panel sizes.
#include "layout.h"

int hdq_int8_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

int hdq_type_supported(int type) {
    switch (type) {
    case HDQ_Q4_0: case HDQ_Q4_1: case HDQ_Q5_0: case HDQ_Q5_1:
    case HDQ_Q8_0: case HDQ_Q4_K: case HDQ_Q5_K: case HDQ_Q6_K:
        return 1;
    default:
        return 0;
    }
}

void hdq_panel_sizes(int type, long rows, long k, long *q, long *dP, long *mins, long *sub) {
    long rp = hdq_round_up(rows, HDQ_TILE_ROWS);
    *q = (hdq_class_of(type) == HDQ_UNSIGNED_OFFSET ? 1 : 2) * rp * k;
    *dP = rp * hdq_blocks(k) * 4 * (long)sizeof(float);          // [rp/2][nb][8]
    *mins = rp * hdq_blocks_padded(k) * (long)sizeof(float);
    *sub = rp * hdq_blocks(k) * 16 * (long)sizeof(int16_t);
}
