/* A population of independent heterogeneous LHb cells under Poisson input. */
#include "circuit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void ks_rng_seed(ks_rng *g, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL);
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

double ks_rng_uniform(ks_rng *g)
{
    uint64_t *s = g->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return ((double)(r >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double ks_circuit_hetero(size_t cell, int which, double h)
{
    /* Additive recurrences with distinct irrational steps (golden ratio conjugate,
     * sqrt 2 - 1, sqrt 3 - 1, sqrt 5 - 2, pi - 3). */
    static const double phi[5] = {0.6180339887498949, 0.4142135623730951, 0.7320508075688772,
                                  0.2360679774997897, 0.1415926535897932};
    double x = (double)(cell + 1) * phi[which];
    x -= floor(x);
    return 1.0 + h * (2.0 * x - 1.0);
}

void ks_circuit_config_default(ks_circuit_config *c)
{
    memset(c, 0, sizeof *c);
    c->n_cells = 1000;
    c->dt_ms = 0.05;
    c->duration_ms = 2000.0;
    c->warmup_ms = 500.0;
    c->rate_glu_hz = 20.0; /* [CHOICE] no LHb input rates were found */
    c->rate_gaba_hz = 40.0;
    c->hetero = 0.2;
    c->seed = 1;
    ks_circuit_cell_default(&c->cell, 1);
    ks_circuit_syn_default(&c->syn);
    ks_circuit_drug_default(&c->drug);
    ks_circuit_burst_rule_default(&c->burst);
    c->raster_cells = 0;
}

int ks_circuit_config_check(const ks_circuit_config *c, ks_error *err)
{
    if (c->n_cells == 0 || c->n_cells > 100000000)
        return ks_error_set(err, KS_EINVAL, "circuit: n_cells must be 1 to 1e8 (got %zu)",
                            c->n_cells);
    if (!(c->dt_ms >= KS_CIRCUIT_DT_MIN_MS && c->dt_ms <= 0.1))
        return ks_error_set(err, KS_EINVAL, "circuit: dt_ms = %g is outside [%g, 0.1] ms", c->dt_ms,
                            KS_CIRCUIT_DT_MIN_MS);
    if (!(c->duration_ms > 0.0 && c->duration_ms <= 1e7))
        return ks_error_set(err, KS_EINVAL, "circuit: duration_ms = %g is outside (0, 1e7] ms",
                            c->duration_ms);
    if (!(c->warmup_ms >= 0.0 && c->warmup_ms <= 1e7))
        return ks_error_set(err, KS_EINVAL, "circuit: warmup_ms = %g is outside [0, 1e7] ms",
                            c->warmup_ms);
    /* both ratios are finite and below 1e11 here, so the step counts fit a long */
    if (lround(c->duration_ms / c->dt_ms) < 1)
        return ks_error_set(err, KS_EINVAL,
                            "circuit: duration_ms = %g is shorter than one step of dt_ms = %g",
                            c->duration_ms, c->dt_ms);
    double steps = (c->warmup_ms + c->duration_ms) / c->dt_ms;
    if (!(steps <= KS_CIRCUIT_MAX_STEPS))
        return ks_error_set(err, KS_EINVAL,
                            "circuit: warmup_ms + duration_ms = %g ms at dt_ms = %g is %.3g steps, "
                            "more than the limit of %.0e per cell",
                            c->warmup_ms + c->duration_ms, c->dt_ms, steps, KS_CIRCUIT_MAX_STEPS);
    if (!(c->rate_glu_hz >= 0.0 && c->rate_glu_hz <= 1000.0))
        return ks_error_set(err, KS_EINVAL, "circuit: rate_glu_hz = %g is outside [0, 1000] Hz",
                            c->rate_glu_hz);
    if (!(c->rate_gaba_hz >= 0.0 && c->rate_gaba_hz <= 1000.0))
        return ks_error_set(err, KS_EINVAL, "circuit: rate_gaba_hz = %g is outside [0, 1000] Hz",
                            c->rate_gaba_hz);
    if (!(c->hetero >= 0.0 && c->hetero < 1.0))
        return ks_error_set(err, KS_EINVAL, "circuit: hetero = %g is outside [0, 1)", c->hetero);
    if (!(c->c_um >= 0.0) || !isfinite(c->c_um))
        return ks_error_set(err, KS_EINVAL, "circuit: c_um = %g must be >= 0 and finite", c->c_um);
    if (!(c->ob0 >= 0.0 && c->cb0 >= 0.0 && c->ob0 + c->cb0 <= 1.0))
        return ks_error_set(err, KS_EINVAL,
                            "circuit: ob0 = %g, cb0 = %g: initial blocked fractions must be >= 0 "
                            "with a sum <= 1",
                            c->ob0, c->cb0);
    int rc = ks_circuit_params_check(&c->cell, &c->syn, &c->drug, err);
    if (rc) return rc;
    return ks_circuit_burst_rule_check(&c->burst, err);
}

void ks_circuit_result_free(ks_circuit_result *r)
{
    if (!r) return;
    free(r->raster_t_ms);
    free(r->raster_cell);
    r->raster_t_ms = NULL;
    r->raster_cell = NULL;
    r->n_raster = 0;
}

typedef struct cell_out {
    ks_circuit_train_stats st;
    double v_sum;
    double block, trapped;
} cell_out;

typedef struct raster_buf {
    double *t;
    uint32_t *cell;
    size_t n, cap;
    int failed;
} raster_buf;

static void raster_push(raster_buf *b, double t, uint32_t cell)
{
    if (b->failed) return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        double *nt = realloc(b->t, cap * sizeof *nt);
        if (!nt) {
            b->failed = 1;
            return;
        }
        b->t = nt;
        uint32_t *nc = realloc(b->cell, cap * sizeof *nc);
        if (!nc) {
            b->failed = 1;
            return;
        }
        b->cell = nc;
        b->cap = cap;
    }
    b->t[b->n] = t;
    b->cell[b->n] = cell;
    b->n++;
}

/* One cell's run: parameters, input streams, state, burst accumulator. */
typedef struct cell_run {
    ks_circuit_cell cell;
    ks_rng g_glu, g_gaba;
    double rate_glu, rate_gaba; /* per ms */
    double next_glu, next_gaba, end_glu, end_gaba;
    ks_circuit_state s;
    ks_burst_acc acc;
    double v_sum;
} cell_run;

static void cell_init(const ks_circuit_config *cfg, size_t i, cell_run *c)
{
    c->cell = cfg->cell;
    double h = cfg->hetero;
    c->cell.g_t *= ks_circuit_hetero(i, 0, h);
    c->cell.g_kir *= ks_circuit_hetero(i, 1, h);
    c->cell.g_l *= ks_circuit_hetero(i, 2, h);
    c->rate_glu = cfg->rate_glu_hz * ks_circuit_hetero(i, 3, h) * 1e-3;
    c->rate_gaba = cfg->rate_gaba_hz * ks_circuit_hetero(i, 4, h) * 1e-3;
    ks_rng_seed(&c->g_glu, cfg->seed, 2 * (uint64_t)i);
    ks_rng_seed(&c->g_gaba, cfg->seed, 2 * (uint64_t)i + 1);
    ks_circuit_state_rest(&c->cell, -70.0, &c->s);
    c->s.ob = cfg->ob0;
    c->s.cb = cfg->cb0;
    c->next_glu = c->rate_glu > 0 ? -log(ks_rng_uniform(&c->g_glu)) / c->rate_glu : INFINITY;
    c->next_gaba = c->rate_gaba > 0 ? -log(ks_rng_uniform(&c->g_gaba)) / c->rate_gaba : INFINITY;
    c->end_glu = c->end_gaba = -1e9;
    ks_burst_acc_init(&c->acc);
    c->v_sum = 0.0;
}

/* Cells i0 .. i0+nb-1 advanced together, step by step: their independent updates
 * overlap in the processor, and each cell's result is what it would be alone. */
#define KS_BLOCK 16
static void run_block(const ks_circuit_config *cfg, const ks_circuit_table *tab, size_t i0,
                      size_t nb, cell_out *outs, raster_buf *rb)
{
    cell_run c[KS_BLOCK];
    for (size_t b = 0; b < nb; b++)
        cell_init(cfg, i0 + b, &c[b]);
    const ks_circuit_syn *sy = &cfg->syn;
    double dt = cfg->dt_ms;
    long n_warm = lround(cfg->warmup_ms / dt), n_total = n_warm + lround(cfg->duration_ms / dt);
    for (long k = 0; k < n_total; k++) {
        double t = (double)k * dt;
        int counted = k >= n_warm;
        for (size_t b = 0; b < nb; b++) {
            cell_run *q = &c[b];
            while (q->next_glu <= t) { /* events fall on the step they occur in */
                if (t >= q->end_glu + sy->deadtime_ms) q->end_glu = t + sy->cdur_ms;
                q->next_glu += -log(ks_rng_uniform(&q->g_glu)) / q->rate_glu;
            }
            while (q->next_gaba <= t) {
                if (t >= q->end_gaba + sy->deadtime_ms) q->end_gaba = t + sy->cdur_ms;
                q->next_gaba += -log(ks_rng_uniform(&q->g_gaba)) / q->rate_gaba;
            }
            double v0 = q->s.v;
            ks_circuit_table_step(tab, &q->cell, &q->s, t < q->end_glu, t < q->end_gaba);
            if (v0 <= -20.0 && q->s.v > -20.0) {
                double ts = t + dt;
                ks_burst_acc_push(&q->acc, &cfg->burst, ts, counted);
                if (counted && rb && i0 + b < cfg->raster_cells)
                    raster_push(rb, ts - cfg->warmup_ms, (uint32_t)(i0 + b));
            }
            if (counted) q->v_sum += q->s.v;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        cell_out *out = &outs[i0 + b];
        ks_burst_acc_finish(&c[b].acc, &cfg->burst, &out->st);
        out->v_sum = c[b].v_sum / (double)(n_total - n_warm);
        out->block = c[b].s.ob + c[b].s.cb;
        out->trapped = c[b].s.cb;
    }
}

int ks_circuit_run(const ks_circuit_config *cfg, ks_circuit_result *res, ks_error *err)
{
    memset(res, 0, sizeof *res);
    int rc = ks_circuit_config_check(cfg, err);
    if (rc) return rc;
    size_t n = cfg->n_cells;
    cell_out *outs = calloc(n, sizeof *outs);
    if (!outs) return ks_error_set(err, KS_ENOMEM, "circuit: out of memory (%zu cells)", n);
    ks_circuit_table tab;
    if (ks_circuit_table_init(&tab, &cfg->cell, &cfg->syn, &cfg->drug, cfg->dt_ms, cfg->c_um)) {
        free(outs);
        return ks_error_set(err, KS_ENOMEM, "circuit: out of memory for the rate table");
    }
    raster_buf rb = {0};
    for (size_t i = 0; i < n; i += KS_BLOCK) {
        size_t nb = n - i < KS_BLOCK ? n - i : KS_BLOCK;
        run_block(cfg, &tab, i, nb, outs, i < cfg->raster_cells ? &rb : NULL);
    }
    ks_circuit_table_free(&tab);
    if (rb.failed) {
        free(rb.t);
        free(rb.cell);
        free(outs);
        return ks_error_set(err, KS_ENOMEM, "circuit: out of memory for the raster");
    }
    double secs = cfg->duration_ms * 1e-3;
    size_t nb = 0, nt = 0, nsil = 0, bursts = 0, burst_spikes = 0, tonic_spikes = 0, spikes = 0;
    double vsum = 0, block = 0, trapped = 0;
    for (size_t i = 0; i < n; i++) {
        const ks_circuit_train_stats *st = &outs[i].st;
        spikes += st->n_spikes;
        bursts += st->n_bursts;
        burst_spikes += st->n_burst_spikes;
        if (st->kind == KS_CIRCUIT_BURSTING)
            nb++;
        else if (st->kind == KS_CIRCUIT_TONIC) {
            nt++;
            tonic_spikes += st->n_spikes;
        } else
            nsil++;
        vsum += outs[i].v_sum;
        block += outs[i].block;
        trapped += outs[i].trapped;
    }
    size_t bursts_in_bursting = 0;
    for (size_t i = 0; i < n; i++)
        if (outs[i].st.kind == KS_CIRCUIT_BURSTING) bursts_in_bursting += outs[i].st.n_bursts;
    res->n_cells = n;
    res->frac_bursting = (double)nb / (double)n;
    res->frac_tonic = (double)nt / (double)n;
    res->frac_silent = (double)nsil / (double)n;
    res->bursts_per_s = nb ? (double)bursts_in_bursting / ((double)nb * secs) : 0.0;
    res->spikes_per_burst = bursts ? (double)burst_spikes / (double)bursts : NAN;
    res->tonic_rate_hz = nt ? (double)tonic_spikes / ((double)nt * secs) : 0.0;
    res->mean_rate_hz = (double)spikes / ((double)n * secs);
    res->v_mean_mv = vsum / (double)n;
    res->block_end = block / (double)n;
    res->trapped_end = trapped / (double)n;
    res->n_raster = rb.n;
    res->raster_t_ms = rb.t;
    res->raster_cell = rb.cell;
    free(outs);
    return KS_OK;
}
