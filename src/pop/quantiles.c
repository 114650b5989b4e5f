/* Per-cell quantile summaries: exact (all values kept) or a fixed-bin histogram whose
 * counts merge exactly. See trial.h for the bin layout and the error bound. */
/* madvise(MADV_HUGEPAGE) is Linux's, outside POSIX. */
#define _DEFAULT_SOURCE
#include "ketsim/trial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pop/quantiles_internal.h"

/* The counts are touched at random rows, one row per cell and block of patients: on
 * 2 MiB pages (where the kernel allows them) the TLB misses fall away. */
static uint32_t *alloc_counts(size_t n)
{
    size_t bytes = n * sizeof(uint32_t), huge = (size_t)2 << 20;
    void *p = NULL;
    if (bytes >= huge) {
        bytes = (bytes + huge - 1) / huge * huge;
        if (posix_memalign(&p, huge, bytes)) return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, bytes, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#endif
        memset(p, 0, bytes);
        return p;
    }
    return calloc(n ? n : 1, sizeof(uint32_t));
}

int ks_quantiles_create(size_t n_cells, size_t capacity, int allow_negative, ks_quantiles **out,
                        ks_error *err)
{
    if (!out || n_cells == 0) return ks_error_set(err, KS_EINVAL, "ks_quantiles_create: no cells");
    ks_quantiles *q = calloc(1, sizeof *q);
    if (!q) return ks_error_set(err, KS_ENOMEM, "out of memory");
    q->n_cells = n_cells;
    q->capacity = capacity;
    q->allow_negative = allow_negative;
    q->row = 1 + SIDE_BINS * (allow_negative ? 2 : 1);
    q->n = calloc(n_cells, sizeof *q->n);
    if (capacity) {
        if (n_cells > SIZE_MAX / sizeof(double) / capacity) {
            free(q->n);
            free(q);
            return ks_error_set(err, KS_ENOMEM, "exact quantiles: %zu x %zu values is too many",
                                n_cells, capacity);
        }
        q->values = malloc(n_cells * capacity * sizeof *q->values);
        q->sorted = calloc(n_cells, 1);
        if (q->values) /* 0 so that summing processes' disjoint slots merges them */
            memset(q->values, 0, n_cells * capacity * sizeof *q->values);
    } else {
        q->counts = alloc_counts(n_cells * q->row);
    }
    if (!q->n || (capacity && (!q->values || !q->sorted)) || (!capacity && !q->counts)) {
        ks_quantiles_free(q);
        return ks_error_set(err, KS_ENOMEM, "out of memory for the quantile summary (%zu cells)",
                            n_cells);
    }
    *out = q;
    return KS_OK;
}

void ks_quantiles_free(ks_quantiles *q)
{
    if (!q) return;
    free(q->counts);
    free(q->n);
    free(q->values);
    free(q->sorted);
    free(q);
}

int ks_quantiles_is_exact(const ks_quantiles *q)
{
    return q->capacity > 0;
}

size_t ks_quantiles_n_cells(const ks_quantiles *q)
{
    return q->n_cells;
}

size_t ks_quantiles_capacity(const ks_quantiles *q)
{
    return q->capacity;
}

size_t ks_quantiles_bytes(const ks_quantiles *q)
{
    size_t b = sizeof *q + q->n_cells * sizeof *q->n;
    if (q->capacity)
        b += q->n_cells * q->capacity * sizeof *q->values + q->n_cells;
    else
        b += q->n_cells * q->row * sizeof *q->counts;
    return b;
}

/* Midpoint of a side bin (0 below the floor, infinity above). */
static double side_value(size_t b)
{
    if (b == 0) return 0.0;
    if (b == SIDE_BINS - 1) return INFINITY;
    size_t k = b - 1;
    int e = KS_QUANT_MIN_EXP + (int)(k / KS_QUANT_BINS_PER_OCTAVE);
    double sub = (double)(k % KS_QUANT_BINS_PER_OCTAVE);
    return ldexp(1.0 + (sub + 0.5) / KS_QUANT_BINS_PER_OCTAVE, e);
}

static double bin_value(const ks_quantiles *q, size_t b)
{
    size_t neg = q->allow_negative ? SIDE_BINS : 0;
    if (b == neg) return 0.0;
    if (b > neg) return side_value(b - neg - 1);
    return -side_value(SIDE_BINS - 1 - b);
}

int ks_quantiles_add(ks_quantiles *q, size_t c, size_t slot, double x, ks_error *err)
{
    if (c >= q->n_cells) return ks_error_set(err, KS_EINVAL, "quantiles: cell %zu out of range", c);
    if (!isfinite(x)) return ks_error_set(err, KS_EINVAL, "quantiles: value %g is not finite", x);
    if (x < 0 && !q->allow_negative)
        return ks_error_set(err, KS_EINVAL, "quantiles: negative value %g", x);
    if (q->capacity) {
        if (slot >= q->capacity)
            return ks_error_set(err, KS_EINVAL, "quantiles: slot %zu out of range", slot);
        q->values[c * q->capacity + slot] = x;
        q->sorted[c] = 0;
    } else {
        q->counts[c * q->row + ks_q_bin_of(q, x)]++;
    }
    q->n[c]++;
    return KS_OK;
}

int ks_quantiles_merge(ks_quantiles *dst, const ks_quantiles *src, ks_error *err)
{
    if (dst->n_cells != src->n_cells || dst->capacity != src->capacity ||
        dst->allow_negative != src->allow_negative)
        return ks_error_set(err, KS_EINVAL, "quantiles: cannot merge summaries of another shape");
    for (size_t c = 0; c < dst->n_cells; c++) {
        dst->n[c] += src->n[c];
        if (dst->capacity) {
            double *d = dst->values + c * dst->capacity;
            const double *s = src->values + c * src->capacity;
            for (size_t i = 0; i < dst->capacity; i++)
                d[i] += s[i]; /* slots are disjoint: one side is 0 */
            dst->sorted[c] = 0;
        } else {
            uint32_t *d = dst->counts + c * dst->row;
            const uint32_t *s = src->counts + c * src->row;
            for (size_t i = 0; i < dst->row; i++)
                d[i] += s[i];
        }
    }
    return KS_OK;
}

uint64_t ks_quantiles_count(const ks_quantiles *q, size_t c)
{
    return c < q->n_cells ? q->n[c] : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Exact: type 7 on the cell's values; every slot must have been filled. */
static double exact_quantile(ks_quantiles *q, size_t c, double p)
{
    double *v = q->values + c * q->capacity;
    if (q->n[c] != q->capacity) return NAN;
    if (!q->sorted[c]) {
        qsort(v, q->capacity, sizeof *v, cmp_double);
        q->sorted[c] = 1;
    }
    size_t n = (size_t)q->n[c];
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n) return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

double ks_quantiles_get(ks_quantiles *q, size_t c, double p)
{
    if (c >= q->n_cells || q->n[c] == 0 || !(p >= 0 && p <= 1)) return NAN;
    if (q->capacity) return exact_quantile(q, c, p);
    uint64_t n = q->n[c];
    uint64_t rank = (uint64_t)ceil(p * (double)n); /* nearest rank, 1-based */
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    const uint32_t *row = q->counts + c * q->row;
    uint64_t acc = 0;
    for (size_t b = 0; b < q->row; b++) {
        acc += row[b];
        if (acc >= rank) {
            double v = bin_value(q, b);
            size_t neg = q->allow_negative ? SIDE_BINS : 0;
            if (b == neg + 1 || (q->allow_negative && b == SIDE_BINS - 1)) q->clipped++;
            return v;
        }
    }
    return NAN;
}

uint32_t *ks_quantiles_counts(ks_quantiles *q, size_t c, size_t *n_bins)
{
    if (q->capacity || c >= q->n_cells) return NULL;
    if (n_bins) *n_bins = q->row;
    return q->counts + c * q->row;
}

double *ks_quantiles_values(ks_quantiles *q, size_t c)
{
    if (!q->capacity || c >= q->n_cells) return NULL;
    return q->values + c * q->capacity;
}

uint64_t *ks_quantiles_cell_counts(ks_quantiles *q)
{
    return q->n;
}

uint64_t ks_quantiles_n_clipped(const ks_quantiles *q)
{
    return q->clipped;
}
