/* Internals of the quantile summary, shared with the trial runner's hot loop. */
#ifndef KS_POP_QUANTILES_INTERNAL_H
#define KS_POP_QUANTILES_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "ketsim/trial.h"

#define OCTAVES (KS_QUANT_MAX_EXP - KS_QUANT_MIN_EXP)
#define SUB_BITS 6 /* log2(KS_QUANT_BINS_PER_OCTAVE) */
#define POS_BINS (OCTAVES * KS_QUANT_BINS_PER_OCTAVE)
/* Bins of one side: [0] below the floor, [1 .. POS_BINS] regular, [POS_BINS + 1] above. */
#define SIDE_BINS (POS_BINS + 2)

_Static_assert((1 << SUB_BITS) == KS_QUANT_BINS_PER_OCTAVE, "bins per octave is 2^SUB_BITS");

struct ks_quantiles {
    size_t n_cells, capacity;
    int allow_negative;
    size_t row; /* bins per cell: zero bin + positive side (+ negative side) */
    uint32_t *counts;
    uint64_t *n; /* values per cell */
    double *values;
    unsigned char *sorted;
    uint64_t clipped;
};

/* Bin of |x| on one side: from the float's exponent and top mantissa bits. */
static inline size_t ks_q_side_bin(double ax)
{
    float f = (float)ax;
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    int e = (int)(bits >> 23) - 127;
    if (e < KS_QUANT_MIN_EXP) return 0;
    if (e >= KS_QUANT_MAX_EXP) return SIDE_BINS - 1;
    size_t sub = (bits >> (23 - SUB_BITS)) & (KS_QUANT_BINS_PER_OCTAVE - 1);
    return 1 + (size_t)(e - KS_QUANT_MIN_EXP) * KS_QUANT_BINS_PER_OCTAVE + sub;
}

/* Index in a cell's row: negative side (reversed, most negative first), zero, positive. */
static inline size_t ks_q_bin_of(const ks_quantiles *q, double x)
{
    size_t neg = q->allow_negative ? SIDE_BINS : 0;
    if (x == 0.0) return neg;
    if (x > 0.0) return neg + 1 + ks_q_side_bin(x);
    return SIDE_BINS - 1 - ks_q_side_bin(-x);
}

/* Add a finite value allowed by the summary to a histogram cell (no checks). */
static inline void ks_q_hist_add(ks_quantiles *q, size_t c, double x)
{
    q->counts[c * q->row + ks_q_bin_of(q, x)]++;
    q->n[c]++;
}

#endif
