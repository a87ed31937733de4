// Shared shapes and type classes of the integer kernels (private to the C target).
#ifndef HDQ_LAYOUT_H
#define HDQ_LAYOUT_H

#include "CQuantKernels.h"

/// How a type's codes enter the byte dot product.
typedef enum {
    /// Codes 0...31 with a per-block offset (value = d·code + min): the codes are the
    /// unsigned operand of vpmaddubsw, the offset meets the activations' block sums.
    HDQ_UNSIGNED_OFFSET,
    /// Signed codes (value = d·code): |code| is the unsigned operand and the code's sign
    /// moves onto the activation (vpsignb).
    HDQ_SIGNED,
    /// Signed codes with an integer scale per 16 values (Q6_K), applied by vpmaddwd.
    HDQ_SIGNED_SUBSCALED,
} hdq_class;

static inline hdq_class hdq_class_of(int type) {
    switch (type) {
    case HDQ_Q8_0: return HDQ_SIGNED;
    case HDQ_Q6_K: return HDQ_SIGNED_SUBSCALED;
    default: return HDQ_UNSIGNED_OFFSET;
    }
}

static inline long hdq_blocks(long k) { return k / 32; }
static inline long hdq_blocks_padded(long k) { return (k / 32 + 7) / 8 * 8; }
static inline long hdq_round_up(long n, long m) { return (n + m - 1) / m * m; }

#endif
