/* Parameter uncertainty of the response calibration by sequential Monte Carlo with
 * adaptive tempering, in independent islands (docs/response-model.md, "Parameter
 * uncertainty" 3d; include/ketsim/response.h, ks_response_smc). */
#include "ketsim/response.h"
#include "ketsim/trial.h"
#include "response_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* Everything the islands share, read-only. */
typedef struct smc_shared {
    ks_response_objfn fn;
    void *ud;
    const ks_response_params *p;
    const ks_response_uncertainty *u;
    const ks_response_smc_opts *o;
    int k, idx[KS_RP_N];
    double lo[KS_RP_N], hi[KS_RP_N]; /* natural bounds */
    double x0[KS_RP_N];              /* log values of the fit's free parameters */
    double scale, f0;                /* residual variance factor; objective at the fit */
    int nthr;
} smc_shared;

/* One island's particles: log values of the free parameters (n x k), objective, log
 * density of the reference q0 (unnormalised), the initial draw each descends from. */
typedef struct island {
    int n;
    double *x, *f, *lq;
    int *anc;
    double lam; /* the random-walk step's global scale */
} island;

/* The log-likelihood part of the target: -(f - f0) / (2 scale). */
static double loglik(const smc_shared *sh, double f)
{
    return -(f - sh->f0) / (2 * sh->scale);
}

/* log q0 at x (log values of the free parameters), up to a constant: -1/2 the sum of the
 * squared coordinates along u's (orthogonal) axes, each in its own SD. */
static double ref_logpdf(const smc_shared *sh, const double *x)
{
    double s = 0;
    for (int j = 0; j < sh->u->n_axes; j++) {
        double dot = 0, nn = 0;
        for (int a = 0; a < sh->k; a++) {
            double e = sh->u->axes[j][sh->idx[a]];
            dot += e * (x[a] - sh->x0[a]), nn += e * e;
        }
        if (nn > 0) s += dot * dot / (nn * nn);
    }
    return -0.5 * s;
}

/* 1 when u has one axis per free parameter, none of them zero over the free parameters
 * or touching a held one (ref_logpdf's coordinates, and the initial draws' z2, then
 * describe the same normal), and they are orthogonal (to 1e-9 of their lengths). */
static int axes_orthogonal(const smc_shared *sh)
{
    if (sh->u->n_axes != sh->k) return 0;
    for (int j = 0; j < sh->u->n_axes; j++) {
        double nn = 0;
        for (int i = 0; i < KS_RP_N; i++)
            if (sh->u->free[i])
                nn += sh->u->axes[j][i] * sh->u->axes[j][i];
            else if (sh->u->axes[j][i] != 0)
                return 0;
        if (!(nn > 0)) return 0;
    }
    for (int i = 0; i < sh->u->n_axes; i++)
        for (int j = i + 1; j < sh->u->n_axes; j++) {
            double d = 0, ni = 0, nj = 0;
            for (int a = 0; a < sh->k; a++) {
                double ei = sh->u->axes[i][sh->idx[a]], ej = sh->u->axes[j][sh->idx[a]];
                d += ei * ej, ni += ei * ei, nj += ej * ej;
            }
            if (fabs(d) > 1e-9 * sqrt(ni * nj)) return 0;
        }
    return 1;
}

/* The parameter set of log values x (free parameters), the held ones at p; 1 when inside
 * the bounds and valid. */
static int to_params(const smc_shared *sh, const double *x, ks_response_params *q)
{
    *q = *sh->p;
    int inside = 1;
    for (int a = 0; a < sh->k; a++) {
        int i = sh->idx[a];
        q->v[i] = exp(x[a]);
        inside = inside && q->v[i] >= sh->lo[i] && q->v[i] <= sh->hi[i];
    }
    return inside && ks_response_params_check(q, NULL) == KS_OK;
}

/* The Philox key of particle i's draws in a sweep of a stage (stage < 2^24, sweep < 0xFFFF,
 * particle < 0xFFFFFF: KS_RESPONSE_SMC_MAX_STAGES, the sweep caps (60000) and
 * KS_RESPONSE_SMC_MAX_PARTICLES keep them inside; sweep 0xFFFF with particle 0xFFFFFF keys
 * the stage's resampling uniform). */
static uint64_t move_key(int stage, int sweep, int i)
{
    return ((uint64_t)stage << 40) | ((uint64_t)sweep << 24) | (uint64_t)i;
}

/* Island s's initial particles: Hessian proposals number base + i, base + i + stride, ...
 * until the objective is finite. */
static int island_start(const smc_shared *sh, int s, island *is, long *evals, ks_error *err)
{
    const int n = is->n, k = sh->k, total = sh->o->islands * n;
    int rc = KS_OK, bad = -1, bad_bounds = 0;
    long ev = 0;
#pragma omp parallel for schedule(dynamic, 4) num_threads(sh->nthr) reduction(+ : ev)
    for (int i = 0; i < n; i++) {
        int found = 0, outside = 0;
        for (int a = 0; a < KS_RESPONSE_DRAW_TRIES && !found; a++) {
            ks_response_params q;
            double z2;
            uint64_t kk = 1 + (uint64_t)s * (uint64_t)n + (uint64_t)i + (uint64_t)a * total;
            if (ks_response_propose(sh->p, sh->u, sh->o->seed, kk, &q, &z2, NULL)) {
                outside = 1;
                break;
            }
            double fq = sh->fn(&q, sh->ud);
            ev++;
            if (isfinite(fq) && fq < 1e11) {
                found = 1;
                for (int b = 0; b < k; b++)
                    is->x[(size_t)i * k + b] = log(q.v[sh->idx[b]]);
                is->f[i] = fq, is->lq[i] = -0.5 * z2;
            }
        }
        is->anc[i] = i;
        if (!found) {
#pragma omp critical
            if (bad < 0 || i < bad) bad = i, bad_bounds = outside; /* the first: any thread count */
        }
    }
    *evals += ev;
    if (bad >= 0 && bad_bounds)
        rc = ks_error_set(err, KS_ENUMERIC,
                          "SMC: no start for particle %d of island %d: %d proposals in a row fell "
                          "outside the calibration bounds",
                          bad + 1, s + 1, KS_RESPONSE_DRAW_TRIES);
    else if (bad >= 0)
        rc = ks_error_set(err, KS_ENUMERIC,
                          "SMC: no start for particle %d of island %d with a finite objective in "
                          "%d proposals",
                          bad + 1, s + 1, KS_RESPONSE_DRAW_TRIES);
    return rc;
}

/* The effective sample size of the weights exp(d inc_i) (inc: the log-weight per unit of
 * beta), and their log mean into *lmean (may be NULL). */
static double ess_at(const double *inc, int n, double d, double *lmean)
{
    double mx = -INFINITY;
    for (int i = 0; i < n; i++)
        mx = fmax(mx, d * inc[i]);
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double w = exp(d * inc[i] - mx);
        s += w, s2 += w * w;
    }
    if (lmean) *lmean = mx + log(s / n);
    return s * s / s2;
}

/* The weighted mean and covariance of the island's particles (weights w, summing to 1),
 * times 2.38^2/k, into the Cholesky factor L; -1 when it has none. A small diagonal keeps
 * a collapsed direction movable (1e-8 log units squared). */
static int move_factor(const smc_shared *sh, const island *is, const double *w, double *L)
{
    const int k = sh->k, n = is->n;
    double m[KS_RP_N] = {0}, C[KS_RP_N * KS_RP_N] = {0};
    for (int i = 0; i < n; i++)
        for (int a = 0; a < k; a++)
            m[a] += w[i] * is->x[(size_t)i * k + a];
    for (int i = 0; i < n; i++)
        for (int a = 0; a < k; a++)
            for (int b = 0; b <= a; b++)
                C[a * k + b] +=
                    w[i] * (is->x[(size_t)i * k + a] - m[a]) * (is->x[(size_t)i * k + b] - m[b]);
    const double sd2 = 2.38 * 2.38 / k;
    for (int a = 0; a < k; a++)
        for (int b = 0; b <= a; b++) {
            C[a * k + b] = sd2 * (C[a * k + b] + (a == b ? 1e-8 : 0));
            C[b * k + a] = C[a * k + b];
        }
    return ks_response_cholesky(C, k, L);
}

/* Systematic resampling of the island by weights w (summing to 1) with one uniform u0:
 * offspring in the order of their parents. */
static int resample(const smc_shared *sh, island *is, const double *w, double u0, ks_error *err)
{
    const int n = is->n, k = sh->k;
    double *x = malloc((size_t)n * k * sizeof *x), *f = malloc((size_t)n * sizeof *f),
           *lq = malloc((size_t)n * sizeof *lq);
    int *anc = malloc((size_t)n * sizeof *anc);
    if (!x || !f || !lq || !anc) {
        free(x), free(f), free(lq), free(anc);
        return ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
    }
    double c = w[0];
    int j = 0;
    for (int i = 0; i < n; i++) {
        double t = (i + u0) / n;
        while (c < t && j < n - 1)
            c += w[++j];
        memcpy(x + (size_t)i * k, is->x + (size_t)j * k, (size_t)k * sizeof *x);
        f[i] = is->f[j], lq[i] = is->lq[j], anc[i] = is->anc[j];
    }
    free(is->x), free(is->f), free(is->lq), free(is->anc);
    is->x = x, is->f = f, is->lq = lq, is->anc = anc;
    return KS_OK;
}

/* One Metropolis sweep of island s at beta (stage, sweep: the random numbers' key) with
 * step factor L times is->lam; moved[i] set for a particle that moved. The share accepted. */
static double sweep(const smc_shared *sh, int s, island *is, double beta, const double *L,
                    int stage, int sw, unsigned char *moved, long *evals)
{
    const int n = is->n, k = sh->k;
    long acc = 0, ev = 0;
#pragma omp parallel for schedule(dynamic, 4) num_threads(sh->nthr) reduction(+ : acc, ev)
    for (int i = 0; i < n; i++) {
        double z[KS_RP_N + 1], y[KS_RP_N], uu[2];
        uint64_t key = move_key(stage, sw, i);
        for (int j = 0; j < k; j += 2)
            ks_rng_normal2(sh->o->seed, (uint32_t)s, key, KS_RNG_RESPONSE_SMC, (uint32_t)(j / 2),
                           z + j);
        ks_rng_uniform2(sh->o->seed, (uint32_t)s, key, KS_RNG_RESPONSE_SMC, 0xFFFFFFu, uu);
        double *x = is->x + (size_t)i * k;
        for (int a = 0; a < k; a++) {
            double st = 0;
            for (int b = 0; b <= a; b++)
                st += L[a * k + b] * z[b];
            y[a] = x[a] + is->lam * st;
        }
        ks_response_params q;
        if (!to_params(sh, y, &q)) continue; /* outside the bounds: zero density */
        double fy = sh->fn(&q, sh->ud);
        ev++;
        if (!isfinite(fy) || fy >= 1e11) continue;
        double lqy = ref_logpdf(sh, y);
        double la = beta * (loglik(sh, fy) - loglik(sh, is->f[i])) + (1 - beta) * (lqy - is->lq[i]);
        if (log(uu[0]) < la) {
            memcpy(x, y, (size_t)k * sizeof *y);
            is->f[i] = fy, is->lq[i] = lqy;
            moved[i] = 1;
            acc++;
        }
    }
    *evals += ev;
    double a = (double)acc / n;
    /* the scale follows the acceptance towards the random-walk optimum */
    is->lam *= exp(a - KS_RESPONSE_MCMC_TARGET_ACC);
    if (is->lam < 0.05) is->lam = 0.05;
    if (is->lam > 5) is->lam = 5;
    return a;
}

/* Island s from its initial particles to beta 1: stages of reweighting, resampling and
 * Metropolis sweeps. */
static int island_run(const smc_shared *sh, int s, island *is, ks_response_smc_stats *st,
                      long *evals, ks_error *err)
{
    const int n = is->n;
    double *inc = malloc((size_t)n * sizeof *inc), *w = malloc((size_t)n * sizeof *w);
    unsigned char *moved = malloc((size_t)n);
    int rc = KS_OK;
    if (!inc || !w || !moved) {
        rc = ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
        goto done;
    }
    double beta = 0, logz = 0;
    int stage = 0;
    is->lam = 1;
    while (beta < 1 && !rc) {
        if (stage >= KS_RESPONSE_SMC_MAX_STAGES) {
            rc = ks_error_set(err, KS_ENUMERIC,
                              "SMC: island %d needs more than %d temperatures (at beta %.3g)",
                              s + 1, KS_RESPONSE_SMC_MAX_STAGES, beta);
            break;
        }
        for (int i = 0; i < n; i++)
            inc[i] = loglik(sh, is->f[i]) - is->lq[i];
        /* the next beta: where the ESS falls to the chosen share (bisection), or 1 */
        double target = KS_RESPONSE_SMC_ESS_FRAC * n, d = 1 - beta;
        if (ess_at(inc, n, d, NULL) < target) {
            double lo = 0, hi = d;
            for (int it = 0; it < 100; it++) {
                double mid = 0.5 * (lo + hi);
                if (ess_at(inc, n, mid, NULL) >= target)
                    lo = mid;
                else
                    hi = mid;
            }
            d = lo > 0 ? lo : hi;
        }
        double lmean, wsum = 0, mx = -INFINITY;
        ess_at(inc, n, d, &lmean);
        logz += lmean;
        beta = beta + d >= 1 - 1e-12 ? 1 : beta + d;
        for (int i = 0; i < n; i++)
            mx = fmax(mx, d * inc[i]);
        for (int i = 0; i < n; i++)
            wsum += w[i] = exp(d * inc[i] - mx);
        for (int i = 0; i < n; i++)
            w[i] /= wsum;
        double L[KS_RP_N * KS_RP_N], uu[2];
        if (move_factor(sh, is, w, L)) {
            rc = ks_error_set(err, KS_ENUMERIC,
                              "SMC: island %d, stage %d: the particles' covariance is not "
                              "positive definite",
                              s + 1, stage + 1);
            break;
        }
        ks_rng_uniform2(sh->o->seed, (uint32_t)s, move_key(stage, 0xFFFF, 0xFFFFFF),
                        KS_RNG_RESPONSE_SMC, 0, uu);
        if ((rc = resample(sh, is, w, uu[0], err))) break;
        /* sweeps until all but MOVE_C of the particles have moved (at least 2) */
        memset(moved, 0, (size_t)n);
        double acc = 0, share = 0;
        int sw = 0;
        while (sw < sh->o->sweeps_max) {
            acc += sweep(sh, s, is, beta, L, stage, sw, moved, evals);
            sw++;
            int m = 0;
            for (int i = 0; i < n; i++)
                m += moved[i];
            share = (double)m / n;
            if (sh->o->progress)
                sh->o->progress(s, stage + 1, beta, sw, acc / sw, *evals, sh->o->pud);
            if (sw >= 2 && share >= 1 - KS_RESPONSE_SMC_MOVE_C) break;
        }
        st->beta[s][stage] = beta, st->accept[s][stage] = acc / sw;
        st->sweeps[s][stage] = sw, st->moved[s][stage] = share;
        stage++;
    }
    st->stages[s] = stage;
    st->log_evidence[s] = logz;
done:
    free(inc), free(w), free(moved);
    return rc;
}

/* The diagnostics of every free parameter over the islands' particles (islands as
 * chains, particles in order as draws) into st; col: islands x n scratch. */
static int diagnose(const smc_shared *sh, island *is, ks_response_smc_stats *st, double *col,
                    ks_error *err)
{
    const int m = sh->o->islands, n = is[0].n, k = sh->k;
    ks_response_worst worst;
    ks_response_worst_init(&worst);
    int rc = KS_OK;
    for (int i = 0; i < KS_RP_N; i++)
        st->rhat[i] = st->ess_bulk[i] = st->ess_tail[i] = NAN;
    for (int a = 0; a < k && !rc; a++) {
        int i = sh->idx[a];
        for (int s = 0; s < m; s++)
            for (int j = 0; j < n; j++)
                col[(size_t)s * n + j] = is[s].x[(size_t)j * k + a];
        rc = ks_response_mcmc_diagnose(col, m, n, &st->rhat[i], &st->ess_bulk[i], &st->ess_tail[i],
                                       err);
        ks_response_worst_fold(&worst, st->rhat[i], st->ess_bulk[i], st->ess_tail[i]);
    }
    st->converged = ks_response_worst_converged(&worst, m);
    st->max_rhat = ks_response_worst_rhat(&worst), st->min_ess_bulk = worst.min_ess_bulk;
    st->min_ess_tail = worst.min_ess_tail;
    return rc;
}

/* At beta 1, every island's particles go on sweeping until the diagnostics pass (checked
 * every KS_RESPONSE_SMC_CHECK sweeps) or o->final_max sweeps are done. */
static int final_sweeps(const smc_shared *sh, island *is, ks_response_smc_stats *st, double *col,
                        long *evals, ks_error *err)
{
    const int m = sh->o->islands, n = is[0].n;
    unsigned char *moved = malloc((size_t)n);
    double *w = malloc((size_t)n * sizeof *w);
    double(*L)[KS_RP_N * KS_RP_N] = malloc((size_t)m * sizeof *L);
    int rc = KS_OK;
    long acc_n = 0;
    if (!moved || !w || !L) {
        rc = ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
        goto done;
    }
    for (int j = 0; j < n; j++)
        w[j] = 1.0 / n;
    rc = diagnose(sh, is, st, col, err);
    int done_sw = 0;
    if (!rc && sh->o->check)
        sh->o->check(0, st->max_rhat, st->min_ess_bulk, st->min_ess_tail, st->converged,
                     sh->o->pud);
    while (!rc && !st->converged && done_sw < sh->o->final_max) {
        for (int s = 0; s < m && !rc; s++)
            if (move_factor(sh, &is[s], w, L[s]))
                rc = ks_error_set(err, KS_ENUMERIC,
                                  "SMC: island %d at beta 1: the particles' covariance is not "
                                  "positive definite",
                                  s + 1);
        int batch = sh->o->final_max - done_sw < KS_RESPONSE_SMC_CHECK ? sh->o->final_max - done_sw
                                                                       : KS_RESPONSE_SMC_CHECK;
        for (int b = 0; b < batch && !rc; b++, done_sw++) {
            double acc = 0;
            /* keyed as a stage after the island's last */
            for (int s = 0; s < m; s++)
                acc += sweep(sh, s, &is[s], 1.0, L[s], st->stages[s], done_sw, moved, evals);
            acc_n += (long)floor(acc / m * n + 0.5);
            if (sh->o->progress)
                sh->o->progress(-1, 0, 1.0, done_sw + 1, acc / m, *evals, sh->o->pud);
        }
        if (!rc) rc = diagnose(sh, is, st, col, err);
        if (!rc && sh->o->check)
            sh->o->check(done_sw, st->max_rhat, st->min_ess_bulk, st->min_ess_tail, st->converged,
                         sh->o->pud);
    }
    st->final_sweeps = done_sw;
    st->final_accept = done_sw ? (double)acc_n / ((double)done_sw * n) : NAN;
done:
    free(moved), free(w), free(L);
    return rc;
}

static int check_opts(const ks_response_smc_opts *o, int n_sets, ks_error *err)
{
    if (o->islands < 2 || o->islands > KS_RESPONSE_SMC_MAX_ISLANDS)
        return ks_error_set(err, KS_EINVAL, "SMC: %d islands (needs 2 to %d)", o->islands,
                            KS_RESPONSE_SMC_MAX_ISLANDS);
    if (o->particles < 20 || o->particles > KS_RESPONSE_SMC_MAX_PARTICLES)
        return ks_error_set(err, KS_EINVAL, "SMC: %d particles per island (needs 20 to %d)",
                            o->particles, KS_RESPONSE_SMC_MAX_PARTICLES);
    if (o->sweeps_max < 2 || o->sweeps_max > 60000 || o->final_max < 0 || o->final_max > 60000)
        return ks_error_set(err, KS_EINVAL,
                            "SMC: at most %d sweeps per stage (needs 2 to 60000) and %d at beta 1 "
                            "(needs 0 to 60000)",
                            o->sweeps_max, o->final_max);
    long T = (long)o->islands * o->particles;
    if (n_sets < 1 || n_sets > T)
        return ks_error_set(err, KS_EINVAL, "SMC: %d sets to keep of %ld particles", n_sets, T);
    return KS_OK;
}

/* The sets (evenly spaced over all particles, shuffled), every particle's natural values
 * into out (may be NULL), the percentiles and the surviving ancestors into st. */
static int collect(const smc_shared *sh, const island *is, int n_sets, ks_response_params *sets,
                   double *out, ks_response_smc_stats *st, double *col, ks_error *err)
{
    const int m = sh->o->islands, n = is[0].n, k = sh->k;
    const long T = (long)m * n;
    long *pick = malloc((size_t)n_sets * sizeof *pick);
    if (!pick) return ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
    for (int j = 0; j < n_sets; j++)
        pick[j] = (long)floor((j + 0.5) * (double)T / n_sets);
    for (int j = n_sets - 1; j > 0; j--) {
        double uu[2];
        ks_rng_uniform2(sh->o->seed, KS_RESPONSE_SMC_MAX_ISLANDS, (uint64_t)j, KS_RNG_RESPONSE_SMC,
                        0, uu);
        int r = (int)floor(uu[0] * (j + 1));
        if (r > j) r = j;
        long tmp = pick[j];
        pick[j] = pick[r], pick[r] = tmp;
    }
    for (int j = 0; j < n_sets; j++) {
        const island *s = &is[pick[j] / n];
        to_params(sh, s->x + (size_t)(pick[j] % n) * k, &sets[j]);
        col[j] = s->f[pick[j] % n] - sh->f0;
    }
    qsort(col, (size_t)n_sets, sizeof *col, ks_response_cmp_double);
    st->dobj_q[0] = col[(int)floor(0.05 * (n_sets - 1))];
    st->dobj_q[1] = col[(int)floor(0.5 * (n_sets - 1))];
    st->dobj_q[2] = col[(int)ceil(0.95 * (n_sets - 1))];
    free(pick);
    for (long t = 0; t < T; t++) {
        ks_response_params q;
        to_params(sh, is[t / n].x + (size_t)(t % n) * k, &q);
        if (out) memcpy(out + (size_t)t * KS_RP_N, q.v, sizeof q.v);
    }
    for (int i = 0; i < KS_RP_N; i++) {
        int a = -1;
        for (int b = 0; b < k; b++)
            if (sh->idx[b] == i) a = b;
        if (a < 0) {
            st->q05[i] = st->q95[i] = sh->p->v[i];
            continue;
        }
        for (long t = 0; t < T; t++)
            col[t] = exp(is[t / n].x[(size_t)(t % n) * k + a]);
        qsort(col, (size_t)T, sizeof *col, ks_response_cmp_double);
        st->q05[i] = ks_response_quantile7(col, (int)T, 0.05);
        st->q95[i] = ks_response_quantile7(col, (int)T, 0.95);
    }
    for (int s = 0; s < m; s++) {
        int distinct = 0;
        for (int j = 0; j < n; j++) /* the ancestors are sorted: resampling keeps order */
            distinct += j == 0 || is[s].anc[j] != is[s].anc[j - 1];
        st->ancestors[s] = distinct;
    }
    return KS_OK;
}

int ks_response_smc(ks_response_objfn fn, void *ud, const ks_response_params *p,
                    const ks_response_uncertainty *u, const ks_response_smc_opts *o, int n_sets,
                    ks_response_params *sets, double *particles, ks_response_smc_stats *st_out,
                    ks_error *err)
{
    if (!fn || !p || !u || !o || !sets)
        return ks_error_set(err, KS_EINVAL, "SMC: missing argument");
    int rc = check_opts(o, n_sets, err);
    if (rc) return rc;
    smc_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.fn = fn, sh.ud = ud, sh.p = p, sh.u = u, sh.o = o;
    for (int i = 0; i < KS_RP_N; i++)
        if (u->free[i]) sh.x0[sh.k] = log(p->v[i]), sh.idx[sh.k++] = i;
    if (sh.k == 0) return ks_error_set(err, KS_EINVAL, "SMC: no free parameter to sample");
    if (!axes_orthogonal(&sh))
        return ks_error_set(err, KS_EINVAL,
                            "SMC: the proposal's axes are not orthogonal, or not one per free "
                            "parameter");
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    memcpy(sh.lo, lo.v, sizeof sh.lo), memcpy(sh.hi, hi.v, sizeof sh.hi);
    sh.scale = u->scale > 0 ? u->scale : 1.0;
    sh.nthr = o->threads > 0 ? o->threads : omp_get_max_threads();
    sh.f0 = fn(p, ud);
    if (!isfinite(sh.f0) || sh.f0 >= 1e11)
        return ks_error_set(err, KS_ENUMERIC, "SMC: the objective is not finite at the fit");
    ks_response_smc_stats *st = calloc(1, sizeof *st);
    island *is = calloc((size_t)o->islands, sizeof *is);
    const long T = (long)o->islands * o->particles;
    double *col = malloc((size_t)T * sizeof *col);
    if (!st || !is || !col) {
        rc = ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
        goto done;
    }
    st->islands = o->islands, st->particles = o->particles, st->n_free = sh.k;
    long evals = 1;
    for (int s = 0; s < o->islands && !rc; s++) {
        island *q = &is[s];
        q->n = o->particles;
        q->x = malloc((size_t)q->n * sh.k * sizeof *q->x);
        q->f = malloc((size_t)q->n * sizeof *q->f), q->lq = malloc((size_t)q->n * sizeof *q->lq);
        q->anc = malloc((size_t)q->n * sizeof *q->anc);
        if (!q->x || !q->f || !q->lq || !q->anc)
            rc = ks_error_set(err, KS_ENOMEM, "SMC: out of memory");
        if (!rc) rc = island_start(&sh, s, q, &evals, err);
        if (!rc) rc = island_run(&sh, s, q, st, &evals, err);
    }
    if (!rc) rc = final_sweeps(&sh, is, st, col, &evals, err);
    if (!rc) rc = collect(&sh, is, n_sets, sets, particles, st, col, err);
    if (!rc) {
        for (int j = 0; j < n_sets; j++)
            sets[j].first_visit_h = p->first_visit_h, sets[j].last_visit_h = p->last_visit_h;
        st->evaluations = evals;
        if (st_out) *st_out = *st;
    }
done:
    for (int s = 0; is && s < o->islands; s++)
        free(is[s].x), free(is[s].f), free(is[s].lq), free(is[s].anc);
    free(is), free(col), free(st);
    return rc;
}
