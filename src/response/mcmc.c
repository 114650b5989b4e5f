/* Parameter uncertainty of the response calibration by Markov chain Monte Carlo: an
 * adaptive random-walk Metropolis sampler on the target SIR weights towards, and the
 * convergence diagnostics of Vehtari et al. 2021 (docs/response-model.md, "Parameter
 * uncertainty"; include/ketsim/response.h, ks_response_mcmc). */
#include "ketsim/response.h"
#include "ketsim/trial.h"
#include "response_internal.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- diagnostics */

/* Chain means, mean within-chain variance W (divisor n - 1) and the pooled variance
 * estimate var+ = (n-1)/n W + B/n; 0 when W is not positive. */
static int chain_moments(const double *x, int m, int n, double *mean, double *W, double *vplus)
{
    double w = 0, grand = 0;
    for (int c = 0; c < m; c++) {
        const double *y = x + (size_t)c * (size_t)n;
        double s = 0;
        for (int i = 0; i < n; i++)
            s += y[i];
        mean[c] = s / n;
        double v = 0;
        for (int i = 0; i < n; i++)
            v += (y[i] - mean[c]) * (y[i] - mean[c]);
        w += v / (n - 1);
        grand += mean[c];
    }
    w /= m, grand /= m;
    double bn = 0; /* B / n: the variance of the chain means */
    if (m > 1) {
        for (int c = 0; c < m; c++)
            bn += (mean[c] - grand) * (mean[c] - grand);
        bn /= m - 1;
    }
    *W = w;
    *vplus = (double)(n - 1) / n * w + bn;
    return w > 0 && isfinite(w) && isfinite(bn);
}

double ks_response_mcmc_rhat_basic(const double *x, int chains, int n)
{
    if (!x || chains < 1 || n < 2) return NAN;
    double *mean = malloc((size_t)chains * sizeof *mean), W, vp;
    if (!mean) return NAN;
    int ok = chain_moments(x, chains, n, mean, &W, &vp);
    free(mean);
    return ok ? sqrt(vp / W) : NAN;
}

/* rho_t of the chains (t >= 1): 1 - (W - mean_m acov_m(t)) / var+, acov with divisor n. */
static double rho_at(const double *x, int m, int n, const double *mean, double W, double vp, int t)
{
    double a = 0;
    for (int c = 0; c < m; c++) {
        const double *y = x + (size_t)c * (size_t)n;
        double s = 0;
        for (int i = 0; i + t < n; i++)
            s += (y[i] - mean[c]) * (y[i + t] - mean[c]);
        a += s / n;
    }
    return 1 - (W - a / m) / vp;
}

double ks_response_mcmc_ess_basic(const double *x, int chains, int n)
{
    if (!x || chains < 1 || n < 4) return NAN;
    double *mean = malloc((size_t)chains * sizeof *mean), W, vp;
    if (!mean) return NAN;
    double ess = NAN;
    if (chain_moments(x, chains, n, mean, &W, &vp)) {
        /* Geyer's initial monotone sequence: pairs G_k = rho_2k + rho_2k+1 (rho_0 = 1)
         * while positive, each at most the one before */
        double sum = 0, prev = INFINITY;
        for (int k = 0; 2 * k + 1 < n; k++) {
            double r0 = k == 0 ? 1.0 : rho_at(x, chains, n, mean, W, vp, 2 * k);
            double g = r0 + rho_at(x, chains, n, mean, W, vp, 2 * k + 1);
            if (!(g > 0)) break;
            if (g > prev) g = prev;
            sum += g;
            prev = g;
        }
        double total = (double)chains * n, tau = -1 + 2 * sum;
        if (tau < 1 / log10(total)) tau = 1 / log10(total);
        ess = total / tau;
    }
    free(mean);
    return ess;
}

typedef struct vi {
    double v;
    int i;
} vi;

static int cmp_vi(const void *a, const void *b)
{
    const vi *x = a, *y = b;
    if (x->v != y->v) return (x->v > y->v) - (x->v < y->v);
    return (x->i > y->i) - (x->i < y->i);
}

/* z[i] = the normal score of y[i]'s rank among all S values (ties averaged); tmp has S. */
static void rank_normalise(const double *y, int S, double *z, vi *tmp)
{
    for (int i = 0; i < S; i++)
        tmp[i].v = y[i], tmp[i].i = i;
    qsort(tmp, (size_t)S, sizeof *tmp, cmp_vi);
    for (int a = 0; a < S;) {
        int b = a;
        while (b + 1 < S && tmp[b + 1].v == tmp[a].v)
            b++;
        double r = (a + b) / 2.0 + 1; /* 1-based average rank */
        double zz = gsl_cdf_ugaussian_Pinv((r - 0.375) / (S + 0.25));
        for (int j = a; j <= b; j++)
            z[tmp[j].i] = zz;
        a = b + 1;
    }
}

void ks_response_worst_init(ks_response_worst *w)
{
    w->max_rhat = -INFINITY, w->min_ess_bulk = w->min_ess_tail = INFINITY;
    w->nan_seen = 0;
}

void ks_response_worst_fold(ks_response_worst *w, double rhat, double ess_bulk, double ess_tail)
{
    if (isnan(rhat) || isnan(ess_bulk) || isnan(ess_tail)) {
        w->nan_seen = 1;
        return;
    }
    w->max_rhat = fmax(w->max_rhat, rhat);
    w->min_ess_bulk = fmin(w->min_ess_bulk, ess_bulk);
    w->min_ess_tail = fmin(w->min_ess_tail, ess_tail);
}

double ks_response_worst_rhat(const ks_response_worst *w)
{
    return w->nan_seen ? NAN : w->max_rhat;
}

int ks_response_worst_converged(const ks_response_worst *w, int groups)
{
    double need = (double)KS_RESPONSE_MCMC_ESS_PER_CHAIN * groups;
    return !w->nan_seen && w->max_rhat < KS_RESPONSE_MCMC_RHAT_MAX && w->min_ess_bulk >= need &&
           w->min_ess_tail >= need;
}

int ks_response_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ks_response_quantile7(const double *s, int n, double q)
{
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i + 1 >= n) return s[n - 1];
    return s[i] + (pos - i) * (s[i + 1] - s[i]);
}

int ks_response_mcmc_diagnose(const double *x, int chains, int n, double *rhat, double *ess_bulk,
                              double *ess_tail, ks_error *err)
{
    if (!x || chains < 1 || n < 4)
        return ks_error_set(err, KS_EINVAL,
                            "MCMC diagnostics: needs 1 or more chains (%d) of 4 or more draws (%d)",
                            chains, n);
    int h = n / 2, M = 2 * chains, S = M * h;
    double *y = malloc((size_t)S * sizeof *y), *z = malloc((size_t)S * sizeof *z),
           *s = malloc((size_t)S * sizeof *s);
    vi *tmp = malloc((size_t)S * sizeof *tmp);
    if (!y || !z || !s || !tmp) {
        free(y), free(z), free(s), free(tmp);
        return ks_error_set(err, KS_ENOMEM, "MCMC diagnostics: out of memory");
    }
    /* the halves: chain c's first h draws, then its last h (the middle one dropped when n
     * is odd) */
    for (int c = 0; c < chains; c++)
        for (int i = 0; i < h; i++) {
            y[(2 * c) * h + i] = x[(size_t)c * n + i];
            y[(2 * c + 1) * h + i] = x[(size_t)c * n + (n - h) + i];
        }
    memcpy(s, y, (size_t)S * sizeof *s);
    qsort(s, (size_t)S, sizeof *s, ks_response_cmp_double);
    rank_normalise(y, S, z, tmp);
    double r_bulk = ks_response_mcmc_rhat_basic(z, M, h);
    if (ess_bulk) *ess_bulk = ks_response_mcmc_ess_basic(z, M, h);
    /* folded: the distance from the median, rank-normalised in turn */
    double med = ks_response_quantile7(s, S, 0.5);
    for (int i = 0; i < S; i++)
        z[i] = fabs(y[i] - med);
    double q05 = ks_response_quantile7(s, S, 0.05), q95 = ks_response_quantile7(s, S, 0.95);
    double *f = s; /* s is not needed once the quantiles are read; y is kept for the tails */
    rank_normalise(z, S, f, tmp);
    double r_fold = ks_response_mcmc_rhat_basic(f, M, h);
    if (rhat) *rhat = isnan(r_bulk) || isnan(r_fold) ? NAN : fmax(r_bulk, r_fold);
    if (ess_tail) {
        double e[2];
        const double q[2] = {q05, q95};
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < S; i++)
                z[i] = y[i] <= q[k];
            e[k] = ks_response_mcmc_ess_basic(z, M, h);
        }
        *ess_tail = isnan(e[0]) || isnan(e[1]) ? NAN : fmin(e[0], e[1]);
    }
    free(y), free(z), free(s), free(tmp);
    return KS_OK;
}

/* ---------------------------------------------------------------- the sampler */

int ks_response_cholesky(const double *A, int k, double *L)
{
    double tr = 0;
    for (int a = 0; a < k; a++)
        tr += fabs(A[a * k + a]);
    double jit = 0;
    for (int tries = 0; tries < 20; tries++) {
        int ok = 1;
        for (int i = 0; i < k && ok; i++)
            for (int j = 0; j <= i && ok; j++) {
                double s = A[i * k + j] + (i == j ? jit : 0);
                for (int m = 0; m < j; m++)
                    s -= L[i * k + m] * L[j * k + m];
                if (i == j) {
                    if (!(s > 0))
                        ok = 0;
                    else
                        L[i * k + i] = sqrt(s);
                } else
                    L[i * k + j] = s / L[j * k + j];
            }
        if (ok) {
            for (int i = 0; i < k; i++)
                for (int j = i + 1; j < k; j++)
                    L[i * k + j] = 0;
            return 0;
        }
        jit = jit == 0 ? 1e-12 * (tr > 0 ? tr / k : 1) : jit * 10;
    }
    return -1;
}

/* Everything one chain needs, shared read-only. */
typedef struct shared {
    ks_response_objfn fn;
    void *ud;
    const ks_response_params *p;
    const ks_response_mcmc_opts *o;
    int k, idx[KS_RP_N];
    double lo[KS_RP_N], hi[KS_RP_N]; /* natural bounds */
    double scale, sd2;               /* residual variance factor; 2.38^2 / k */
    const double *L0;                /* Cholesky of sd2 Sigma_H, k x k */
    const double *Sigma_H;           /* k x k */
} shared;

/* A chain's state between the phases of the run. */
typedef struct chain_state {
    double x[KS_RP_N], f; /* log values of the free parameters; objective there */
    double loglam;        /* log of the adaptive step's global scale */
    long acc, outside;    /* after the burn-in: accepted; rejected at a bound */
    /* the states of the current adaptation window: count, mean, sum of squared deviations */
    long wn;
    double wmean[KS_RP_N], wm2[KS_RP_N * KS_RP_N];
} chain_state;

/* Iterations [t0, t1) of chain c from its state cs, with the adaptive step's Cholesky
 * factor L (of sd2 C); `window`: the states are added to the window's moments; draws after
 * the burn-in go to out (natural values, KS_RP_N each, from draw 0 at iteration B) and fo
 * (objective). */
static void run_segment(const shared *sh, int c, chain_state *cs, int t0, int t1, const double *L,
                        int window, double *out, double *fo)
{
    const int k = sh->k, B = sh->o->burn, total = B + sh->o->draws;
    const uint64_t seed = sh->o->seed;
    double y[KS_RP_N], z[KS_RP_N + 1];
    ks_response_params q = *sh->p;
    for (int t = t0; t < t1; t++) {
        for (int j = 0; j < k; j += 2)
            ks_rng_normal2(seed, (uint32_t)c, (uint64_t)t, KS_RNG_RESPONSE_MCMC, (uint32_t)(j / 2),
                           z + j);
        double uu[2];
        ks_rng_uniform2(seed, (uint32_t)c, (uint64_t)t, KS_RNG_RESPONSE_MCMC, 0xFFFFFFu, uu);
        /* the mixture: the fixed Hessian step with probability BETA, else the adaptive one */
        int fixed = uu[0] < KS_RESPONSE_MCMC_BETA;
        const double *F = fixed ? sh->L0 : L;
        double lam = fixed ? 1.0 : exp(cs->loglam);
        int inside = 1;
        for (int a = 0; a < k; a++) {
            double st = 0;
            for (int b = 0; b <= a; b++)
                st += F[a * k + b] * z[b];
            y[a] = cs->x[a] + lam * st;
            q.v[sh->idx[a]] = exp(y[a]);
            inside = inside && q.v[sh->idx[a]] >= sh->lo[sh->idx[a]] &&
                     q.v[sh->idx[a]] <= sh->hi[sh->idx[a]];
        }
        double alpha = 0;
        if (inside && ks_response_params_check(&q, NULL) == KS_OK) {
            double fy = sh->fn(&q, sh->ud);
            if (isfinite(fy) && fy < 1e11) {
                double la = -(fy - cs->f) / (2 * sh->scale);
                alpha = la >= 0 ? 1.0 : exp(la);
                if (log(uu[1]) < la) {
                    memcpy(cs->x, y, (size_t)k * sizeof *y);
                    cs->f = fy;
                    if (t >= B) cs->acc++;
                }
            }
        } else if (t >= B)
            cs->outside++;
        if (t < B) {
            /* Robbins-Monro on log lambda towards the target acceptance (adaptive steps) */
            if (!fixed) cs->loglam += pow(t + 1.0, -0.6) * (alpha - KS_RESPONSE_MCMC_TARGET_ACC);
            if (window) { /* Welford */
                double d[KS_RP_N];
                cs->wn++;
                for (int a = 0; a < k; a++) {
                    d[a] = cs->x[a] - cs->wmean[a];
                    cs->wmean[a] += d[a] / cs->wn;
                }
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                        cs->wm2[a * k + b] += d[a] * (cs->x[b] - cs->wmean[b]);
            }
        } else {
            double *o = out + (size_t)(t - B) * KS_RP_N;
            for (int i = 0; i < KS_RP_N; i++)
                o[i] = sh->p->v[i];
            for (int a = 0; a < k; a++)
                o[sh->idx[a]] = exp(cs->x[a]);
            fo[t - B] = cs->f;
        }
        if (sh->o->progress && ((t + 1) % 100 == 0 || t + 1 == total))
            sh->o->progress(c, t + 1, total, sh->o->pud);
    }
}

/* The covariance of all chains' window states pooled (the chains' moments merged in chain
 * order: Chan et al.'s pairwise update), regularised towards a small diagonal as Stan's
 * windowed adaptation (n/(n+5) C + 1e-3 5/(n+5) I), times sd2, into the Cholesky factor
 * L; the windows emptied. 0, or -1 when no factor can be formed; L kept when the window
 * had fewer than 2 states. */
static int pool_window(const shared *sh, chain_state *cs, int chains, double *L)
{
    const int k = sh->k;
    double n = 0, mean[KS_RP_N] = {0}, m2[KS_RP_N * KS_RP_N] = {0}, A[KS_RP_N * KS_RP_N];
    for (int c = 0; c < chains; c++) {
        double nb = (double)cs[c].wn, d[KS_RP_N];
        if (nb == 0) continue;
        double nn = n + nb;
        for (int a = 0; a < k; a++)
            d[a] = cs[c].wmean[a] - mean[a];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                m2[a * k + b] += cs[c].wm2[a * k + b] + d[a] * d[b] * n * nb / nn;
        for (int a = 0; a < k; a++)
            mean[a] += d[a] * nb / nn;
        n = nn;
    }
    for (int c = 0; c < chains; c++) {
        cs[c].wn = 0;
        memset(cs[c].wmean, 0, sizeof cs[c].wmean), memset(cs[c].wm2, 0, sizeof cs[c].wm2);
    }
    if (n < 2) return 0;
    double w = n / (n + 5.0), reg = 1e-3 * 5.0 / (n + 5.0);
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++)
            A[a * k + b] = sh->sd2 * (w * m2[a * k + b] / (n - 1) + (a == b ? reg : 0));
    return ks_response_cholesky(A, k, L);
}

int ks_response_mcmc(ks_response_objfn fn, void *ud, const ks_response_params *p,
                     const ks_response_uncertainty *u, const ks_response_mcmc_opts *o, int n_sets,
                     ks_response_params *sets, double *draws, ks_response_mcmc_stats *st,
                     ks_error *err)
{
    if (!fn || !p || !u || !o || !sets)
        return ks_error_set(err, KS_EINVAL, "MCMC: missing argument");
    if (o->chains < 2 || o->chains > KS_RESPONSE_MCMC_MAX_CHAINS)
        return ks_error_set(err, KS_EINVAL, "MCMC: %d chains (needs 2 to %d)", o->chains,
                            KS_RESPONSE_MCMC_MAX_CHAINS);
    if (o->draws < 4 || o->burn < 0)
        return ks_error_set(err, KS_EINVAL,
                            "MCMC: %d draws per chain (needs 4 or more), burn-in %d (needs 0 or "
                            "more)",
                            o->draws, o->burn);
    const long T = (long)o->chains * o->draws;
    if (n_sets < 1 || n_sets > T)
        return ks_error_set(err, KS_EINVAL, "MCMC: %d sets to keep of %ld draws", n_sets, T);
    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.fn = fn, sh.ud = ud, sh.p = p, sh.o = o;
    for (int i = 0; i < KS_RP_N; i++)
        if (u->free[i]) sh.idx[sh.k++] = i;
    const int k = sh.k;
    if (k == 0) return ks_error_set(err, KS_EINVAL, "MCMC: no free parameter to sample");
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    memcpy(sh.lo, lo.v, sizeof sh.lo), memcpy(sh.hi, hi.v, sizeof sh.hi);
    sh.scale = u->scale > 0 ? u->scale : 1.0;
    sh.sd2 = 2.38 * 2.38 / k;
    double f0 = fn(p, ud);
    if (!isfinite(f0) || f0 >= 1e11)
        return ks_error_set(err, KS_ENUMERIC, "MCMC: the objective is not finite at the fit");
    /* the Hessian proposal's covariance over the free parameters (its axes, flat ones with
     * their FLAT_LOG spread) */
    double SH[KS_RP_N * KS_RP_N] = {0}, A[KS_RP_N * KS_RP_N], L0[KS_RP_N * KS_RP_N];
    for (int j = 0; j < u->n_axes; j++)
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                SH[a * k + b] += u->axes[j][sh.idx[a]] * u->axes[j][sh.idx[b]];
    for (int a = 0; a < k * k; a++)
        A[a] = sh.sd2 * SH[a];
    if (ks_response_cholesky(A, k, L0))
        return ks_error_set(err, KS_ENUMERIC,
                            "MCMC: the proposal covariance is not positive definite");
    sh.L0 = L0, sh.Sigma_H = SH;
    double *own = NULL, *fo = malloc((size_t)T * sizeof *fo), *col = NULL;
    double *x0 = malloc((size_t)o->chains * KS_RP_N * sizeof *x0),
           *fs = malloc((size_t)o->chains * sizeof *fs);
    chain_state *cs = calloc((size_t)o->chains, sizeof *cs);
    long *pick = malloc((size_t)n_sets * sizeof *pick);
    if (!draws) draws = own = malloc((size_t)T * KS_RP_N * sizeof *draws);
    col = malloc((size_t)T * sizeof *col);
    int rc = KS_OK;
    if (!fo || !x0 || !fs || !cs || !pick || !draws || !col) {
        rc = ks_error_set(err, KS_ENOMEM, "MCMC: out of memory for %ld draws", T);
        goto done;
    }
    /* dispersed starts: Hessian proposals number c + 1, c + 1 + chains, ... until the
     * objective is finite there */
    for (int c = 0; c < o->chains && !rc; c++) {
        int found = 0;
        for (int a = 0; a < KS_RESPONSE_DRAW_TRIES && !found && !rc; a++) {
            ks_response_params q;
            uint64_t kk = (uint64_t)c + 1 + (uint64_t)a * (uint64_t)o->chains;
            rc = ks_response_propose(p, u, o->seed, kk, &q, NULL, err);
            if (rc) break;
            double fq = fn(&q, ud);
            if (isfinite(fq) && fq < 1e11) {
                found = 1;
                fs[c] = fq;
                for (int b = 0; b < k; b++)
                    x0[c * KS_RP_N + b] = log(q.v[sh.idx[b]]);
            }
        }
        if (!rc && !found)
            rc = ks_error_set(err, KS_ENUMERIC,
                              "MCMC: no start for chain %d with a finite objective in %d "
                              "proposals",
                              c + 1, KS_RESPONSE_DRAW_TRIES);
    }
    if (rc) goto done;
    /* The run in phases, every chain through each before the next (the chains in
     * parallel): the burn-in up to B/8 (the scale adapts), three windows [B/8, B/4),
     * [B/4, B/2), [B/2, B) at whose ends the adaptive step's covariance becomes that of
     * the window's states of all chains pooled, then the draws [B, B + N) with everything
     * fixed. */
    for (int c = 0; c < o->chains; c++) {
        memcpy(cs[c].x, x0 + c * KS_RP_N, sizeof cs[c].x);
        cs[c].f = fs[c];
    }
    double L[KS_RP_N * KS_RP_N];
    memcpy(L, L0, sizeof L); /* the Hessian's, until the first window ends */
    const int B = o->burn;
    const int edge[6] = {0, B / 8, B / 4, B / 2, B, B + o->draws};
    int nthr = o->threads > 0 ? o->threads : omp_get_max_threads();
    for (int ph = 0; ph < 5 && !rc; ph++) {
        if (edge[ph + 1] <= edge[ph]) continue;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthr)
        for (int c = 0; c < o->chains; c++)
            run_segment(&sh, c, &cs[c], edge[ph], edge[ph + 1], L, ph >= 1 && ph <= 3,
                        draws + (size_t)c * o->draws * KS_RP_N, fo + (size_t)c * o->draws);
        if (ph >= 1 && ph <= 3 && pool_window(&sh, cs, o->chains, L))
            rc = ks_error_set(err, KS_ENUMERIC,
                              "MCMC: the chains' covariance at iteration %d is not positive "
                              "definite",
                              edge[ph + 1]);
    }
    if (rc) goto done;
    /* the sets: evenly spaced over the chains' draws, then shuffled */
    for (int j = 0; j < n_sets; j++)
        pick[j] = (long)floor((j + 0.5) * (double)T / n_sets);
    for (int j = n_sets - 1; j > 0; j--) {
        double uu[2];
        ks_rng_uniform2(o->seed, KS_RESPONSE_MCMC_MAX_CHAINS, (uint64_t)j, KS_RNG_RESPONSE_MCMC, 0,
                        uu);
        int r = (int)floor(uu[0] * (j + 1));
        if (r > j) r = j;
        long tmp = pick[j];
        pick[j] = pick[r], pick[r] = tmp;
    }
    for (int j = 0; j < n_sets; j++) {
        memcpy(sets[j].v, draws + (size_t)pick[j] * KS_RP_N, sizeof sets[j].v);
        sets[j].first_visit_h = p->first_visit_h, sets[j].last_visit_h = p->last_visit_h;
    }
    if (st) {
        memset(st, 0, sizeof *st);
        st->chains = o->chains, st->draws = o->draws, st->burn = o->burn, st->n_free = k;
        long acc = 0, out = 0;
        for (int c = 0; c < o->chains; c++) {
            st->accept[c] = (double)cs[c].acc / o->draws;
            st->scale_lambda[c] = exp(cs[c].loglam);
            acc += cs[c].acc, out += cs[c].outside;
        }
        st->accept_rate = (double)acc / T;
        st->outside_rate = (double)out / T;
        ks_response_worst worst;
        ks_response_worst_init(&worst);
        for (int i = 0; i < KS_RP_N && !rc; i++) {
            st->rhat[i] = st->ess_bulk[i] = st->ess_tail[i] = NAN;
            for (long t = 0; t < T; t++)
                col[t] = draws[(size_t)t * KS_RP_N + i];
            qsort(col, (size_t)T, sizeof *col, ks_response_cmp_double);
            st->q05[i] = ks_response_quantile7(col, (int)T, 0.05);
            st->q95[i] = ks_response_quantile7(col, (int)T, 0.95);
            if (!u->free[i]) continue;
            for (long t = 0; t < T; t++)
                col[t] = log(draws[(size_t)t * KS_RP_N + i]);
            rc = ks_response_mcmc_diagnose(col, o->chains, o->draws, &st->rhat[i], &st->ess_bulk[i],
                                           &st->ess_tail[i], err);
            ks_response_worst_fold(&worst, st->rhat[i], st->ess_bulk[i], st->ess_tail[i]);
        }
        /* a free parameter that never moved (NAN diagnostics) is not converged */
        st->converged = ks_response_worst_converged(&worst, o->chains);
        st->max_rhat = ks_response_worst_rhat(&worst), st->min_ess_bulk = worst.min_ess_bulk;
        st->min_ess_tail = worst.min_ess_tail;
        for (int j = 0; j < n_sets; j++)
            col[j] = fo[pick[j]] - f0;
        qsort(col, (size_t)n_sets, sizeof *col, ks_response_cmp_double);
        st->dobj_q[0] = col[(int)floor(0.05 * (n_sets - 1))];
        st->dobj_q[1] = col[(int)floor(0.5 * (n_sets - 1))];
        st->dobj_q[2] = col[(int)ceil(0.95 * (n_sets - 1))];
    }
done:
    free(own), free(fo), free(col), free(x0), free(fs), free(cs), free(pick);
    return rc;
}
