/* Parameter uncertainty of the response calibration: the curvature of the objective at
 * the fit (a sum of squared standardised residuals, i.e. -2 log-likelihood up to a
 * constant under normal errors), its inverse as the covariance of the log parameters,
 * and draws of parameter sets from it (docs/response-model.md, "Parameter uncertainty"). */
#include "ketsim/response.h"
#include "ketsim/trial.h"

#include <gsl/gsl_eigen.h>
#include <jansson.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

double ks_response_objective_fn(const ks_response_params *p, void *ud)
{
    return ks_response_objective(ud, p, NULL);
}

/* One evaluation of fn at log p + the offsets (a, da) and (b, db). */
static double obj_at(ks_response_objfn fn, void *ud, const ks_response_params *p, int a, double da,
                     int b, double db)
{
    ks_response_params q = *p;
    if (a >= 0) q.v[a] *= exp(da);
    if (b >= 0) q.v[b] *= exp(db);
    return fn(&q, ud);
}

/* The parameters the fit left at (within KS_RESPONSE_AT_BOUND log units of) a bound. */
static void mark_free(const ks_response_params *p, int *free_)
{
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    for (int i = 0; i < KS_RP_N; i++)
        free_[i] = log(p->v[i] / lo.v[i]) > KS_RESPONSE_AT_BOUND &&
                   log(hi.v[i] / p->v[i]) > KS_RESPONSE_AT_BOUND;
    /* the model without within-patient fluctuation (fluct_share 0, below its bound: a file
     * from before it): both of its parameters held, t_fluct_d being unused then */
    if (p->v[KS_RP_FLUCT] == 0) free_[KS_RP_FLUCT] = free_[KS_RP_T_FLUCT_D] = 0;
}

int ks_response_hessian(ks_response_objfn fn, void *ud, const ks_response_params *p,
                        const int *free_, double h, int threads, double *H, ks_error *err)
{
    if (!fn || !p || !free_ || !H)
        return ks_error_set(err, KS_EINVAL, "response Hessian: missing argument");
    if (!(h > 0 && h <= 0.5))
        return ks_error_set(err, KS_EINVAL, "response Hessian: step %g is not in (0, 0.5]", h);
    int rc = ks_response_params_check(p, err);
    if (rc) return rc;
    /* The list of evaluations: the centre, 2 per diagonal entry, 4 per pair. */
    int idx[KS_RP_N], k = 0;
    for (int i = 0; i < KS_RP_N; i++)
        if (free_[i]) idx[k++] = i;
    size_t n_pair = (size_t)k * (size_t)(k - 1) / 2, n_ev = 1 + 2 * (size_t)k + 4 * n_pair;
    double *f = malloc(n_ev * sizeof *f);
    if (!f) return ks_error_set(err, KS_ENOMEM, "response Hessian: out of memory");
    int nthr = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic) num_threads(nthr)
    for (size_t e = 0; e < n_ev; e++) {
        if (e == 0) {
            f[e] = obj_at(fn, ud, p, -1, 0, -1, 0);
        } else if (e <= 2 * (size_t)k) {
            int i = idx[(e - 1) / 2];
            f[e] = obj_at(fn, ud, p, i, (e - 1) % 2 ? -h : h, -1, 0);
        } else {
            size_t q = e - 1 - 2 * (size_t)k, pr = q / 4, s = q % 4;
            /* pair number pr -> (a, b), a < b, in row order */
            int a = 0;
            size_t left = pr;
            while (left >= (size_t)(k - 1 - a))
                left -= (size_t)(k - 1 - a), a++;
            int b = a + 1 + (int)left;
            f[e] = obj_at(fn, ud, p, idx[a], s & 1 ? -h : h, idx[b], s & 2 ? -h : h);
        }
    }
    for (size_t e = 0; e < n_ev && !rc; e++)
        if (!isfinite(f[e]) || f[e] >= 1e11)
            rc = ks_error_set(err, KS_ENUMERIC,
                              "response Hessian: the objective is not finite %g log units from "
                              "the fit (evaluation %zu)",
                              h, e);
    if (!rc) {
        memset(H, 0, sizeof(double) * KS_RP_N * KS_RP_N);
        for (int a = 0; a < k; a++)
            H[idx[a] * KS_RP_N + idx[a]] = (f[1 + 2 * a] - 2 * f[0] + f[2 + 2 * a]) / (h * h);
        size_t pr = 0;
        for (int a = 0; a < k; a++)
            for (int b = a + 1; b < k; b++, pr++) {
                const double *g = f + 1 + 2 * k + 4 * pr; /* ++, -+, +-, -- */
                double v = (g[0] - g[1] - g[2] + g[3]) / (4 * h * h);
                H[idx[a] * KS_RP_N + idx[b]] = H[idx[b] * KS_RP_N + idx[a]] = v;
            }
    }
    free(f);
    return rc;
}

int ks_response_uncertainty_compute(const ks_response_designs *d, const ks_response_params *p,
                                    double step, int threads, ks_response_uncertainty *u,
                                    ks_error *err)
{
    memset(u, 0, sizeof *u);
    mark_free(p, u->free);
    double *H = malloc(sizeof(double) * KS_RP_N * KS_RP_N),
           *H2 = malloc(sizeof(double) * KS_RP_N * KS_RP_N);
    if (!H || !H2) {
        free(H), free(H2);
        return ks_error_set(err, KS_ENOMEM, "response uncertainty: out of memory");
    }
    /* At the step and at twice the step: the difference says how far the finite
     * differences can be trusted. */
    void *ud = (void *)d; /* the objective only reads the designs */
    int rc = ks_response_hessian(ks_response_objective_fn, ud, p, u->free, step, threads, H, err);
    if (!rc)
        rc = ks_response_hessian(ks_response_objective_fn, ud, p, u->free, 2 * step, threads, H2,
                                 err);
    if (!rc) {
        u->step = step;
        u->objective = ks_response_objective(d, p, NULL);
        u->n_points = 0;
        for (size_t f = 0; f < ks_response_n_figures(); f++)
            u->n_points += (int)ks_response_figure_at(f)->n_points;
        rc = ks_response_uncertainty_from_hessian(H, u, err);
        if (!rc) {
            ks_response_uncertainty u2 = *u;
            if (ks_response_uncertainty_from_hessian(H2, &u2, NULL) == KS_OK) {
                u->step_change = 0;
                for (int i = 0; i < KS_RP_N; i++)
                    if (u->free[i] && u->identified[i] && u2.identified[i])
                        u->step_change =
                            fmax(u->step_change, fabs(sqrt(u2.cov[i][i] / u->cov[i][i]) - 1));
            } else {
                u->step_change = NAN;
            }
        }
    }
    free(H), free(H2);
    return rc;
}

/* Eigen-decomposition of the symmetric k x k matrix M (row-major, k <= KS_RP_N): the
 * eigenvalues descending in lam, vector j's component a in vec[a * KS_RP_N + j]. */
static int sym_eigen(const double *M, int k, double *lam, double *vec, const char *what,
                     ks_error *err)
{
    gsl_matrix *A = gsl_matrix_alloc((size_t)k, (size_t)k),
               *V = gsl_matrix_alloc((size_t)k, (size_t)k);
    gsl_vector *L = gsl_vector_alloc((size_t)k);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc((size_t)k);
    int rc = KS_OK;
    if (!A || !V || !L || !w)
        rc = ks_error_set(err, KS_ENOMEM, "%s: out of memory", what);
    else {
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                gsl_matrix_set(A, (size_t)a, (size_t)b, M[a * k + b]);
        if (gsl_eigen_symmv(A, L, V, w))
            rc = ks_error_set(err, KS_ENUMERIC, "%s: eigen-decomposition failed", what);
        else {
            gsl_eigen_symmv_sort(L, V, GSL_EIGEN_SORT_VAL_DESC);
            for (int j = 0; j < k; j++) {
                lam[j] = gsl_vector_get(L, (size_t)j);
                for (int a = 0; a < k; a++)
                    vec[a * KS_RP_N + j] = gsl_matrix_get(V, (size_t)a, (size_t)j);
            }
        }
    }
    gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(L);
    if (w) gsl_eigen_symmv_free(w);
    return rc;
}

int ks_response_uncertainty_from_hessian(const double *H, ks_response_uncertainty *u, ks_error *err)
{
    int idx[KS_RP_N], k = 0;
    for (int i = 0; i < KS_RP_N; i++)
        if (u->free[i]) idx[k++] = i;
    u->n_free = k;
    int df = u->n_points - k;
    /* Residual variance factor: the fit's chi-square per degree of freedom when above 1
     * (a misfit larger than the figures' own errors widens the intervals; weighted
     * least squares practice), else 1. */
    u->scale = df > 0 && u->objective / df > 1 ? u->objective / df : 1.0;
    memset(u->cov, 0, sizeof u->cov);
    memset(u->axes, 0, sizeof u->axes);
    memset(u->identified, 0, sizeof u->identified);
    memset(u->flat, 0, sizeof u->flat);
    u->n_axes = 0;
    if (k == 0) return KS_OK;
    double M[KS_RP_N * KS_RP_N] = {0}, lam[KS_RP_N], vec[KS_RP_N * KS_RP_N];
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++)
            M[a * k + b] = H[idx[a] * KS_RP_N + idx[b]];
    int rc = sym_eigen(M, k, lam, vec, "response uncertainty", err);
    if (rc) return rc;
    /* Objective = chi-square, so the covariance is 2 H^-1 (times the scale). An axis whose
     * curvature gives a 1-SD spread above KS_RESPONSE_FLAT_LOG log units (a factor of 20) is
     * not identified by the figures: the proposal spreads it by FLAT_LOG (SIR's weights then
     * say what the objective allows), and it stays out of cov. */
    u->n_axes = k;
    for (int j = 0; j < k; j++) {
        u->eigen[j] = lam[j];
        double sd = lam[j] > lam[0] * 1e-14 ? sqrt(2 * u->scale / lam[j]) : INFINITY;
        u->flat[j] = !(sd <= KS_RESPONSE_FLAT_LOG);
        if (u->flat[j]) sd = KS_RESPONSE_FLAT_LOG;
        for (int a = 0; a < k; a++)
            u->axes[j][idx[a]] = sd * vec[a * KS_RP_N + j];
        if (!u->flat[j])
            for (int a = 0; a < KS_RP_N; a++)
                for (int b = 0; b < KS_RP_N; b++)
                    u->cov[a][b] += u->axes[j][a] * u->axes[j][b];
    }
    /* A free parameter is identified when less than 10 % of its direction lies on flat
     * axes (the squared loadings of its unit vector on the eigenvectors sum to 1). */
    for (int a = 0; a < k; a++) {
        double drop = 0;
        for (int j = 0; j < k; j++)
            if (u->flat[j]) drop += vec[a * KS_RP_N + j] * vec[a * KS_RP_N + j];
        u->identified[idx[a]] = drop < 0.1;
    }
    return KS_OK;
}

/* Draw (seed, attempt, k) of the normal along u's axes about p, untruncated: into *out,
 * z^2 into *zz; 1 when inside the calibration bounds and a valid parameter set (the
 * acceptance test of ks_response_propose). */
static int raw_draw(const ks_response_params *p, const ks_response_uncertainty *u,
                    const ks_response_params *lo, const ks_response_params *hi, uint64_t seed,
                    uint32_t attempt, uint64_t k, ks_response_params *out, double *zz)
{
    *out = *p;
    double z[KS_RP_N + 1] = {0};
    for (int j = 0; j < u->n_axes; j += 2)
        ks_rng_normal2(seed, attempt, k, KS_RNG_RESPONSE_PARAMS, (uint32_t)(j / 2), z + j);
    int inside = 1;
    for (int i = 0; i < KS_RP_N && inside; i++) {
        double dx = 0;
        for (int j = 0; j < u->n_axes; j++)
            dx += u->axes[j][i] * z[j];
        /* a parameter held at its bound keeps its value to the bit */
        out->v[i] = dx != 0 ? p->v[i] * exp(dx) : p->v[i];
        /* fluct_share 0 (no fluctuation, held with t_fluct_d: mark_free) is kept */
        int nofluct = p->v[KS_RP_FLUCT] == 0 && (i == KS_RP_FLUCT || i == KS_RP_T_FLUCT_D);
        inside =
            (out->v[i] >= lo->v[i] && out->v[i] <= hi->v[i]) || (nofluct && out->v[i] == p->v[i]);
    }
    *zz = 0;
    for (int j = 0; j < u->n_axes; j++)
        *zz += z[j] * z[j];
    return inside && ks_response_params_check(out, NULL) == KS_OK;
}

int ks_response_propose(const ks_response_params *p, const ks_response_uncertainty *u,
                        uint64_t seed, uint64_t k, ks_response_params *out, double *z2,
                        ks_error *err)
{
    *out = *p;
    if (z2) *z2 = 0;
    if (u->n_axes == 0) return KS_OK;
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    /* A normal on the log parameters along the axes, truncated to the calibration's bounds
     * by rejection (the fit could not have gone outside them). */
    for (uint32_t attempt = 0; attempt < KS_RESPONSE_DRAW_TRIES; attempt++) {
        double zz;
        if (raw_draw(p, u, &lo, &hi, seed, attempt, k, out, &zz)) {
            if (z2) *z2 = zz;
            return KS_OK;
        }
    }
    *out = *p;
    return ks_error_set(err, KS_ENUMERIC,
                        "response uncertainty: proposal %llu fell outside the calibration bounds "
                        "%d times",
                        (unsigned long long)k, KS_RESPONSE_DRAW_TRIES);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n of the m weights w (>= 0) drawn without replacement, each in proportion to the weight
 * left; pick[j] the index drawn j-th. The weight left is summed afresh each time (a running
 * subtraction drifts). KS_ENUMERIC when the weights run out (not reachable when n or more
 * weights are above 0). */
static int draw_without_replacement(const double *w, int m, int n, uint64_t seed, int *taken,
                                    int *pick, ks_error *err)
{
    memset(taken, 0, (size_t)m * sizeof *taken);
    for (int j = 0; j < n; j++) {
        double uu[2], left = 0;
        for (int k = 0; k < m; k++)
            if (!taken[k]) left += w[k];
        ks_rng_uniform2(seed, 0, (uint64_t)j, KS_RNG_RESPONSE_PARAMS, 0xFFFFu, uu);
        double target = uu[0] * left, acc = 0;
        int pk = -1;
        for (int k = 0; k < m; k++) {
            if (taken[k] || w[k] <= 0) continue;
            pk = k; /* the last with a weight, should rounding leave acc short of target */
            acc += w[k];
            if (acc >= target) break;
        }
        if (pk < 0) return ks_error_set(err, KS_ENUMERIC, "SIR: no weight left at draw %d", j + 1);
        taken[pk] = 1;
        pick[j] = pk;
    }
    return KS_OK;
}

int ks_response_sir(ks_response_objfn fn, void *ud, const ks_response_params *p,
                    const ks_response_uncertainty *u, int m, int n, uint64_t seed, int threads,
                    ks_response_params *sets, ks_response_sir_stats *st, ks_error *err)
{
    if (!fn || !p || !u || !sets || n < 1 || m < n)
        return ks_error_set(err, KS_EINVAL, "SIR: needs 1 <= n (%d) <= m (%d)", n, m);
    ks_response_params *prop = malloc((size_t)m * sizeof *prop);
    double *lw = malloc((size_t)m * sizeof *lw), *z2 = malloc((size_t)m * sizeof *z2),
           *f = malloc((size_t)m * sizeof *f);
    int *taken = calloc((size_t)m, sizeof *taken);
    int rc = KS_OK;
    if (!prop || !lw || !z2 || !f || !taken) {
        rc = ks_error_set(err, KS_ENOMEM, "SIR: out of memory for %d proposals", m);
        goto done;
    }
    double f0 = fn(p, ud);
    if (!isfinite(f0)) {
        rc = ks_error_set(err, KS_ENUMERIC, "SIR: the objective is not finite at the fit");
        goto done;
    }
    int bad = 0;
    for (int k = 0; k < m && !bad; k++) /* the draws, in order (cheap; no thread state) */
        bad = ks_response_propose(p, u, seed, (uint64_t)k + 1, &prop[k], &z2[k], err) != KS_OK;
    if (bad) {
        rc = KS_ENUMERIC;
        goto done;
    }
    int nthr = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic) num_threads(nthr)
    for (int k = 0; k < m; k++)
        f[k] = fn(&prop[k], ud);
    /* log importance weight: target exp(-(f - f0) / (2 scale)) over the proposal
     * exp(-z2 / 2) (truncation to the bounds is a constant factor of both) */
    double lmax = -HUGE_VAL;
    int n_inf = 0;
    for (int k = 0; k < m; k++) {
        lw[k] =
            isfinite(f[k]) && f[k] < 1e11 ? -(f[k] - f0) / (2 * u->scale) + z2[k] / 2 : -HUGE_VAL;
        if (lw[k] == -HUGE_VAL) n_inf++;
        if (lw[k] > lmax) lmax = lw[k];
    }
    if (m - n_inf < n) {
        rc =
            ks_error_set(err, KS_ENUMERIC, "SIR: only %d of %d proposals have a weight (%d needed)",
                         m - n_inf, m, n);
        goto done;
    }
    double sw = 0, sw2 = 0, wmax = 0;
    int n_pos = 0;
    for (int k = 0; k < m; k++) {
        lw[k] = lw[k] == -HUGE_VAL ? 0.0 : exp(lw[k] - lmax); /* now the weight itself */
        sw += lw[k], sw2 += lw[k] * lw[k];
        n_pos += lw[k] > 0;
        if (lw[k] > wmax) wmax = lw[k];
    }
    /* weights that underflow to 0 are no weight either */
    if (n_pos < n) {
        rc = ks_error_set(err, KS_ENUMERIC,
                          "SIR: only %d of %d proposals have a weight above 0 (%d needed)", n_pos,
                          m, n);
        goto done;
    }
    /* n draws without replacement, each proportional to the weights left (Dosne 2016) */
    double *kept = z2; /* z2 is no longer needed: the kept sets' objective above the fit */
    int *pick = malloc((size_t)n * sizeof *pick);
    if (!pick) {
        rc = ks_error_set(err, KS_ENOMEM, "SIR: out of memory");
        goto done;
    }
    rc = draw_without_replacement(lw, m, n, seed, taken, pick, err);
    for (int j = 0; !rc && j < n; j++) {
        sets[j] = prop[pick[j]];
        kept[j] = f[pick[j]] - f0;
    }
    free(pick);
    if (rc) goto done;
    if (st) {
        st->m = m, st->n = n, st->ess = sw * sw / sw2, st->max_share = wmax / sw;
        st->n_infinite = n_inf;
        qsort(kept, (size_t)n, sizeof *kept, cmp_double);
        st->dobj_q[0] = kept[(int)floor(0.05 * (n - 1))];
        st->dobj_q[1] = kept[(int)floor(0.5 * (n - 1))];
        st->dobj_q[2] = kept[(int)ceil(0.95 * (n - 1))];
    }
done:
    free(prop), free(lw), free(z2), free(f), free(taken);
    return rc;
}

/* ---------------------------------------------------------------- file */

int ks_response_uncertainty_load(const char *path, ks_response_params **sets, size_t *n,
                                 ks_error *err)
{
    *sets = NULL;
    *n = 0;
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        if (strstr(je.text, "unable to open"))
            return ks_error_set(err, KS_EIO, "%s: cannot read (%s)", path, je.text);
        return ks_error_set(err, KS_EPARSE, "%s:%d: %s", path, je.line, je.text);
    }
    int rc = KS_OK;
    json_t *arr = json_object_get(json_object_get(root, "uncertainty"), "sets");
    size_t m = json_array_size(arr);
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    if (!json_object_get(root, "uncertainty"))
        rc = ks_error_set(err, KS_EMODEL,
                          "%s: $.uncertainty: missing (a file from before it; add it with "
                          "ketsim calibrate --uncertainty FILE --write OUT)",
                          path);
    else if (!json_is_array(arr) || m == 0)
        rc = ks_error_set(err, KS_EMODEL, "%s: $.uncertainty.sets: missing or empty", path);
    else if (!(*sets = malloc(m * sizeof **sets)))
        rc = ks_error_set(err, KS_ENOMEM, "%s: out of memory for %zu sets", path, m);
    /* Sets of KS_RP_N_NOFLUCT values (a file from before the within-patient fluctuation,
     * whose parameters lack fluct_share and t_fluct_d too) are the model without it:
     * fluct_share 0, t_fluct_d its start value, as ks_response_params_load reads the file. */
    json_t *pars = json_object_get(root, "parameters");
    int file_legacy = json_is_object(pars) &&
                      !json_object_get(pars, ks_response_param_name(KS_RP_FLUCT)) &&
                      !json_object_get(pars, ks_response_param_name(KS_RP_T_FLUCT_D));
    ks_response_params st;
    ks_response_params_start(&st);
    for (size_t j = 0; !rc && j < m; j++) {
        json_t *a = json_array_get(arr, j);
        ks_response_params *q = &(*sets)[j];
        q->first_visit_h = q->last_visit_h = 0;
        size_t want = json_array_size(a);
        if (!json_is_array(a) || !(want == KS_RP_N || (file_legacy && want == KS_RP_N_NOFLUCT))) {
            rc = ks_error_set(err, KS_EMODEL, "%s: $.uncertainty.sets[%zu]: not %d numbers%s", path,
                              j, KS_RP_N,
                              file_legacy ? " (or 17, the file's parameters having no fluct_share "
                                            "and t_fluct_d: the model without fluctuation)"
                                          : "");
            break;
        }
        if (file_legacy && want == KS_RP_N &&
            json_number_value(json_array_get(a, KS_RP_FLUCT)) != 0) {
            rc =
                ks_error_set(err, KS_EMODEL,
                             "%s: $.uncertainty.sets[%zu][%d] (fluct_share): not 0 in a file whose "
                             "parameters have no fluct_share (the model without fluctuation)",
                             path, j, KS_RP_FLUCT);
            break;
        }
        q->v[KS_RP_FLUCT] = 0;
        q->v[KS_RP_T_FLUCT_D] = st.v[KS_RP_T_FLUCT_D];
        for (int i = 0; i < (int)want && !rc; i++) {
            json_t *x = json_array_get(a, (size_t)i);
            q->v[i] = json_number_value(x);
            /* the file keeps 6 digits: a value at a bound may round just outside it;
             * fluct_share 0 is the model without fluctuation (below its fit bound), which
             * only a file whose parameters lack fluct_share describes: a fitted file's
             * sets come from its fit bounds */
            int off = file_legacy && i == KS_RP_FLUCT && json_is_number(x) && q->v[i] == 0;
            if (!off && (!json_is_number(x) || !(q->v[i] >= lo.v[i] * (1 - 1e-5)) ||
                         !(q->v[i] <= hi.v[i] * (1 + 1e-5))))
                rc = ks_error_set(err, KS_EMODEL,
                                  "%s: $.uncertainty.sets[%zu][%d] (%s): not a number within the "
                                  "calibration bounds %g-%g",
                                  path, j, i, ks_response_param_name(i), lo.v[i], hi.v[i]);
        }
        if (!rc && ks_response_params_check(q, err)) {
            ks_error_prefix(err, "%s: $.uncertainty.sets[%zu]", path, j);
            rc = KS_EMODEL;
        }
    }
    json_decref(root);
    if (rc) {
        free(*sets);
        *sets = NULL;
    } else
        *n = m;
    return rc;
}

int ks_response_proposal_from_sets(const ks_response_params *p, const ks_response_params *sets,
                                   int n, double inflate, ks_response_uncertainty *u, ks_error *err)
{
    if (n < 2 || !(inflate > 0))
        return ks_error_set(err, KS_EINVAL, "proposal from sets: needs 2 or more sets (%d)", n);
    int idx[KS_RP_N], k = 0;
    for (int i = 0; i < KS_RP_N; i++)
        if (u->free[i]) idx[k++] = i;
    memset(u->axes, 0, sizeof u->axes);
    memset(u->flat, 0, sizeof u->flat);
    u->n_axes = 0;
    if (k == 0) return KS_OK;
    /* second moments of the log parameters about the fit (not the sets' mean: the
     * proposal stays centred on the fit, as the weights assume) */
    double M[KS_RP_N * KS_RP_N] = {0}, lam[KS_RP_N], vec[KS_RP_N * KS_RP_N];
    for (int s = 0; s < n; s++)
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
                M[a * k + b] += log(sets[s].v[idx[a]] / p->v[idx[a]]) *
                                log(sets[s].v[idx[b]] / p->v[idx[b]]) / n;
    int rc = sym_eigen(M, k, lam, vec, "proposal from sets", err);
    if (rc) return rc;
    for (int j = 0; j < k; j++) {
        if (!(lam[j] > 0)) continue; /* a direction the sets do not spread in */
        double sd = inflate * sqrt(lam[j]);
        for (int a = 0; a < k; a++)
            u->axes[u->n_axes][idx[a]] = sd * vec[a * KS_RP_N + j];
        u->n_axes++;
    }
    return KS_OK;
}

/* ---------------------------------------------------------------- pooled SIR (AMIS) */

/* The density of one proposal on the free log parameters (x = log(v / p) over idx):
 * normal with covariance A A^T (A: the axes), truncated to the calibration bounds. */
typedef struct prop_density {
    int k;                       /* free parameters (one axis each) */
    int idx[KS_RP_N];            /* their indices */
    double L[KS_RP_N * KS_RP_N]; /* Cholesky factor of A A^T, row-major k x k */
    double lnorm;                /* log of the normal's normaliser and the truncation */
} prop_density;

/* Fraction of the untruncated proposal inside the bounds, from `nz` draws of their own
 * Philox counters (attempt KS_AMIS_Z_ATTEMPT, which no proposal uses). */
#define KS_AMIS_Z_ATTEMPT 0xFFFFFFF0u
static double inside_fraction(const ks_response_params *p, const ks_response_uncertainty *u,
                              uint64_t seed, int nz)
{
    ks_response_params lo, hi, x;
    ks_response_params_bounds(&lo, &hi);
    int in = 0;
    double zz;
    for (int r = 0; r < nz; r++)
        in += raw_draw(p, u, &lo, &hi, seed, KS_AMIS_Z_ATTEMPT, (uint64_t)r, &x, &zz);
    return (double)in / nz;
}

static int prop_density_init(const ks_response_params *p, const ks_response_uncertainty *u,
                             uint64_t seed, prop_density *pd, ks_error *err)
{
    memset(pd, 0, sizeof *pd);
    for (int i = 0; i < KS_RP_N; i++)
        if (u->free[i]) pd->idx[pd->k++] = i;
    int k = pd->k;
    if (k == 0 || u->n_axes != k)
        return ks_error_set(err, KS_ENUMERIC,
                            "pooled SIR: the proposal has %d axes for %d free parameters (a "
                            "density needs one each)",
                            u->n_axes, k);
    double S[KS_RP_N * KS_RP_N];
    for (int a = 0; a < k; a++)
        for (int b = 0; b < k; b++) {
            double s = 0;
            for (int j = 0; j < u->n_axes; j++)
                s += u->axes[j][pd->idx[a]] * u->axes[j][pd->idx[b]];
            S[a * k + b] = s;
        }
    /* Cholesky by hand, lower triangle (small; no GSL error handler to switch) */
    double logdet = 0;
    for (int a = 0; a < k; a++)
        for (int b = 0; b <= a; b++) {
            double s = S[a * k + b];
            for (int c = 0; c < b; c++)
                s -= pd->L[a * k + c] * pd->L[b * k + c];
            if (a != b) {
                pd->L[a * k + b] = s / pd->L[b * k + b];
                continue;
            }
            if (!(s > 0))
                return ks_error_set(err, KS_ENUMERIC,
                                    "pooled SIR: the proposal covariance is not positive "
                                    "definite");
            pd->L[a * k + a] = sqrt(s);
            logdet += 2 * log(pd->L[a * k + a]);
        }
    double z = inside_fraction(p, u, seed, KS_RESPONSE_AMIS_ZDRAWS);
    if (!(z > 0))
        return ks_error_set(err, KS_ENUMERIC, "pooled SIR: no proposal draw inside the bounds");
    pd->lnorm = -0.5 * logdet - 0.5 * k * 1.8378770664093453 /* log 2 pi */ - log(z);
    return KS_OK;
}

/* log density of the proposal at x (a parameter set) */
static double prop_logpdf(const prop_density *pd, const ks_response_params *p,
                          const ks_response_params *x)
{
    double y[KS_RP_N], q = 0;
    int k = pd->k;
    for (int a = 0; a < k; a++) { /* solve L y = log(x / p) */
        double s = log(x->v[pd->idx[a]] / p->v[pd->idx[a]]);
        for (int c = 0; c < a; c++)
            s -= pd->L[a * k + c] * y[c];
        y[a] = s / pd->L[a * k + a];
        q += y[a] * y[a];
    }
    return -0.5 * q + pd->lnorm;
}

int ks_response_amis(ks_response_objfn fn, void *ud, const ks_response_params *p,
                     const ks_response_uncertainty *u, int iters, int m, int n, double inflate,
                     uint64_t seed, int threads, ks_response_params *sets,
                     ks_response_sir_stats *st, double *iter_ess, int *iters_run,
                     ks_response_amis_progress progress, void *progress_ud, ks_error *err)
{
    return ks_response_amis_mix(fn, ud, p, u, NULL, 0, iters, m, n, inflate, seed, threads, sets,
                                st, iter_ess, iters_run, NULL, progress, progress_ud, err);
}

/* One iteration's proposal: components c = 0..nc-1 (0 about the fit, the others about the
 * extra centres), each a truncated normal with its own axes, drawn m_c of m times. */
typedef struct mix_prop {
    int nc;
    int m_c[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
    double lshare[KS_RESPONSE_AMIS_MAX_CENTRES + 1]; /* log(m_c / m); -inf when m_c = 0 */
    prop_density pd[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
} mix_prop;

/* log density of the deterministic mixture at x: log sum_c m_c/m q_c(x) */
static double mix_logpdf(const mix_prop *mp, const ks_response_params *ctr,
                         const ks_response_params *x)
{
    double l[KS_RESPONSE_AMIS_MAX_CENTRES + 1], lm = -HUGE_VAL, acc = 0;
    for (int c = 0; c < mp->nc; c++) {
        l[c] = mp->m_c[c] > 0 ? mp->lshare[c] + prop_logpdf(&mp->pd[c], &ctr[c], x) : -HUGE_VAL;
        if (l[c] > lm) lm = l[c];
    }
    if (lm == -HUGE_VAL) return -HUGE_VAL; /* no component reaches x */
    for (int c = 0; c < mp->nc; c++)
        if (l[c] > -HUGE_VAL) acc += exp(l[c] - lm);
    return lm + log(acc);
}

/* Draws per component from their shares (when there are several, each raised to at least
 * KS_RESPONSE_AMIS_MIN_SHARE, then all renormalised: a raised one ends a little below it):
 * floor(share m), the rest to component 0. */
static void mix_alloc(mix_prop *mp, const double *share, int m)
{
    double s[KS_RESPONSE_AMIS_MAX_CENTRES + 1], tot = 0;
    for (int c = 0; c < mp->nc; c++) {
        s[c] = mp->nc > 1 && share[c] < KS_RESPONSE_AMIS_MIN_SHARE ? KS_RESPONSE_AMIS_MIN_SHARE
                                                                   : share[c];
        tot += s[c];
    }
    int used = 0;
    for (int c = 1; c < mp->nc; c++)
        used += mp->m_c[c] = (int)floor(s[c] / tot * m);
    mp->m_c[0] = m - used;
    for (int c = 0; c < mp->nc; c++)
        mp->lshare[c] = mp->m_c[c] > 0 ? log((double)mp->m_c[c] / m) : -HUGE_VAL;
}

/* The next iteration's components from the n sets drawn from the pool: each set goes to
 * the component under which it is most probable (share times density); a component's
 * axes become the second moments of its sets about its centre, SDs x inflate, when it has
 * at least 2 sets per free parameter (else it keeps its axes); its share of the draws is
 * its share of the sets. */
static int mix_adapt(const mix_prop *prev, const ks_response_params *ctr,
                     const ks_response_params *sets, int n, double inflate,
                     ks_response_uncertainty *q, double *share, ks_response_params *tmp, int adapt,
                     ks_error *err)
{
    int nc = prev->nc, cnt[KS_RESPONSE_AMIS_MAX_CENTRES + 1] = {0};
    int *who = malloc((size_t)n * sizeof *who);
    if (!who) return ks_error_set(err, KS_ENOMEM, "pooled SIR: out of memory");
    for (int j = 0; j < n; j++) {
        double best = -HUGE_VAL;
        who[j] = 0;
        for (int c = 0; c < nc && nc > 1; c++) {
            if (prev->m_c[c] == 0) continue;
            double l = prev->lshare[c] + prop_logpdf(&prev->pd[c], &ctr[c], &sets[j]);
            if (l > best) best = l, who[j] = c;
        }
        cnt[who[j]]++;
    }
    int rc = KS_OK;
    for (int c = 0; c < nc && !rc; c++) {
        share[c] = (double)cnt[c] / n;
        /* (with one component every set is its own: recomputed as plain pooled SIR does) */
        if (!adapt || (nc > 1 && (cnt[c] < 2 * prev->pd[c].k || cnt[c] < 2))) continue;
        int k = 0;
        for (int j = 0; j < n; j++)
            if (who[j] == c) tmp[k++] = sets[j];
        rc = ks_response_proposal_from_sets(&ctr[c], tmp, k, inflate, &q[c], err);
    }
    free(who);
    return rc;
}

int ks_response_amis_mix(ks_response_objfn fn, void *ud, const ks_response_params *p,
                         const ks_response_uncertainty *u, const ks_response_params *centres,
                         int n_centres, int iters, int m, int n, double inflate, uint64_t seed,
                         int threads, ks_response_params *sets, ks_response_sir_stats *st,
                         double *iter_ess, int *iters_run, double *share_out,
                         ks_response_amis_progress progress, void *progress_ud, ks_error *err)
{
    if (!fn || !p || !u || !sets || n < 1 || m < n || iters < 1 || !(inflate > 0))
        return ks_error_set(err, KS_EINVAL,
                            "pooled SIR: needs 1 <= n (%d) <= m (%d), iterations >= 1 (%d) "
                            "and inflate > 0",
                            n, m, iters);
    if (n_centres < 0 || n_centres > KS_RESPONSE_AMIS_MAX_CENTRES || (n_centres > 0 && !centres))
        return ks_error_set(err, KS_EINVAL, "pooled SIR: %d extra centres (at most %d)", n_centres,
                            KS_RESPONSE_AMIS_MAX_CENTRES);
    int nc = n_centres + 1;
    /* the centres: the fit, then the extra ones with the fit's held parameters */
    ks_response_params ctr[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
    ctr[0] = *p;
    ks_response_params lo, hi;
    ks_response_params_bounds(&lo, &hi);
    for (int c = 1; c < nc; c++) {
        ctr[c] = *p;
        for (int i = 0; i < KS_RP_N; i++) {
            if (!u->free[i]) continue;
            double v = centres[c - 1].v[i];
            if (!(v >= lo.v[i] && v <= hi.v[i]))
                return ks_error_set(err, KS_EINVAL,
                                    "pooled SIR: centre %d: %s %g is outside the calibration "
                                    "bounds %g-%g",
                                    c, ks_response_param_name(i), v, lo.v[i], hi.v[i]);
            ctr[c].v[i] = v;
        }
        int rc0 = ks_response_params_check(&ctr[c], err);
        if (rc0) return rc0;
    }
    size_t cap = (size_t)iters * (size_t)m;
    ks_response_params *prop = malloc(cap * sizeof *prop), *tmp = malloc((size_t)n * sizeof *tmp);
    double *f = malloc(cap * sizeof *f), *lq = malloc(cap * (size_t)iters * sizeof *lq),
           *w = malloc(cap * sizeof *w);
    int *taken = malloc(cap * sizeof *taken), *pick = malloc((size_t)n * sizeof *pick);
    mix_prop *mp = malloc((size_t)iters * sizeof *mp);
    int rc = KS_OK;
    if (!prop || !tmp || !f || !lq || !w || !taken || !pick || !mp) {
        rc = ks_error_set(err, KS_ENOMEM, "pooled SIR: out of memory for %zu proposals", cap);
        goto done;
    }
    double f0 = fn(p, ud);
    if (!isfinite(f0)) {
        rc = ks_error_set(err, KS_ENUMERIC, "pooled SIR: the objective is not finite at the fit");
        goto done;
    }
    int nthr = threads > 0 ? threads : omp_get_max_threads();
    ks_response_uncertainty q[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
    double share[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
    for (int c = 0; c < nc; c++)
        q[c] = *u, share[c] = 1.0 / nc;
    int t = 0, total = 0;
    double ess = 0, sw = 0, sw2 = 0, wmax = 0;
    int n_inf = 0, n_pos = 0;
    for (; t < iters; t++) {
        if (t > 0) { /* the next proposal from the sets drawn from the pool so far */
            for (int j = 0; j < n; j++)
                sets[j] = prop[pick[j]];
            rc = mix_adapt(&mp[t - 1], ctr, sets, n, inflate, q, share, tmp, 1, err);
            if (rc) goto done;
        }
        mix_prop *cur = &mp[t];
        memset(cur, 0, sizeof *cur);
        cur->nc = nc;
        mix_alloc(cur, share, m);
        int at = total, bad = 0;
        for (int c = 0; c < nc && !bad; c++) {
            /* component 0 keeps the seeds of the single-proposal form (the same draws) */
            uint64_t s_tc = seed + (uint64_t)t + ((uint64_t)c << 32);
            rc = prop_density_init(&ctr[c], &q[c], s_tc, &cur->pd[c], err);
            if (rc) goto done;
            for (int k = 0; k < cur->m_c[c] && !bad; k++)
                bad = ks_response_propose(&ctr[c], &q[c], s_tc, (uint64_t)k + 1, &prop[at++], NULL,
                                          err) != KS_OK;
        }
        if (bad) {
            rc = KS_ENUMERIC;
            goto done;
        }
#pragma omp parallel for schedule(dynamic) num_threads(nthr)
        for (int k = 0; k < m; k++)
            f[total + k] = fn(&prop[total + k], ud);
        total += m;
        /* every proposal's log density under every proposal so far: lq[i * iters + s] */
        for (int i = 0; i < total; i++)
            for (int s = i < total - m ? t : 0; s <= t; s++)
                lq[(size_t)i * (size_t)iters + (size_t)s] = mix_logpdf(&mp[s], ctr, &prop[i]);
        /* weights: target over the equal mixture of the proposals (balance heuristic) */
        double lmax = -HUGE_VAL;
        n_inf = 0;
        for (int i = 0; i < total; i++) {
            const double *l = lq + (size_t)i * (size_t)iters;
            double lm = -HUGE_VAL, acc = 0;
            for (int s = 0; s <= t; s++)
                if (l[s] > lm) lm = l[s];
            for (int s = 0; s <= t; s++)
                acc += exp(l[s] - lm);
            double lmix = lm + log(acc / (t + 1));
            w[i] = isfinite(f[i]) && f[i] < 1e11 ? -(f[i] - f0) / (2 * u->scale) - lmix : -HUGE_VAL;
            if (w[i] == -HUGE_VAL) n_inf++;
            if (w[i] > lmax) lmax = w[i];
        }
        sw = sw2 = wmax = 0;
        n_pos = 0;
        for (int i = 0; i < total; i++) {
            w[i] = w[i] == -HUGE_VAL ? 0.0 : exp(w[i] - lmax);
            sw += w[i], sw2 += w[i] * w[i];
            n_pos += w[i] > 0;
            if (w[i] > wmax) wmax = w[i];
        }
        if (n_pos < n) {
            rc = ks_error_set(err, KS_ENUMERIC,
                              "pooled SIR: only %d of %d proposals have a weight above 0 (%d "
                              "needed)",
                              n_pos, total, n);
            goto done;
        }
        ess = sw * sw / sw2;
        if (iter_ess) iter_ess[t] = ess;
        if (progress) progress(t + 1, ess, total, progress_ud);
        rc = draw_without_replacement(w, total, n, seed, taken, pick, err);
        if (rc) goto done;
        if (ess >= n) {
            t++;
            break;
        }
    }
    if (iters_run) *iters_run = t;
    if (share_out) { /* the kept sets by component of the last proposal */
        for (int j = 0; j < n; j++)
            sets[j] = prop[pick[j]];
        double sh[KS_RESPONSE_AMIS_MAX_CENTRES + 1];
        /* mix_adapt's assignment alone (no axes: they would not be used, and with one
         * component and n = 1 ks_response_proposal_from_sets would refuse the sets) */
        rc = mix_adapt(&mp[t - 1], ctr, sets, n, inflate, q, sh, tmp, 0, err);
        if (rc) goto done;
        for (int c = 0; c < nc; c++)
            share_out[c] = sh[c];
    }
    double *kept = malloc((size_t)n * sizeof *kept);
    if (!kept) {
        rc = ks_error_set(err, KS_ENOMEM, "pooled SIR: out of memory");
        goto done;
    }
    for (int j = 0; j < n; j++) {
        sets[j] = prop[pick[j]];
        kept[j] = f[pick[j]] - f0;
    }
    if (st) {
        st->m = total, st->n = n, st->ess = ess, st->max_share = wmax / sw;
        st->n_infinite = n_inf;
        qsort(kept, (size_t)n, sizeof *kept, cmp_double);
        st->dobj_q[0] = kept[(int)floor(0.05 * (n - 1))];
        st->dobj_q[1] = kept[(int)floor(0.5 * (n - 1))];
        st->dobj_q[2] = kept[(int)ceil(0.95 * (n - 1))];
    }
    free(kept);
done:
    free(prop), free(tmp), free(f), free(lq), free(w), free(taken), free(pick), free(mp);
    return rc;
}
